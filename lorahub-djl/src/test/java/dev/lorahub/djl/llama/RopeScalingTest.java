package dev.lorahub.djl.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lorahub.djl.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RopeScalingTest {
    @TempDir Path tmp;

    // Llama 3.1's values: factor 8, low 1, high 4, original context 8192
    private static final RopeScaling LLAMA31 =
            new RopeScaling(RopeScaling.Type.LLAMA3, 8, 1, 4, 8192);

    @Test
    void llama3_keeps_short_wavelengths_divides_long_ones_and_blends_between() {
        // wavelength 2 pi / f: < 8192 / 4 = 2048 kept, > 8192 / 1 divided by 8
        double high = 2 * Math.PI / 100; // wavelength 100
        assertThat(LLAMA31.apply(high)).isEqualTo(high);
        double low = 2 * Math.PI / 10_000; // wavelength 10000
        assertThat(LLAMA31.apply(low)).isCloseTo(low / 8, within(1e-18));
        // wavelength 4096: smooth = (8192 / 4096 - 1) / (4 - 1) = 1/3
        double mid = 2 * Math.PI / 4096;
        assertThat(LLAMA31.apply(mid))
                .isCloseTo((2.0 / 3) * mid / 8 + (1.0 / 3) * mid, within(1e-15));
        // continuity at both edges of the band
        double atHigh = 2 * Math.PI / 2048;
        assertThat(LLAMA31.apply(atHigh)).isCloseTo(atHigh, within(1e-15));
        double atLow = 2 * Math.PI / 8192;
        assertThat(LLAMA31.apply(atLow)).isCloseTo(atLow / 8, within(1e-15));
        assertThat(new RopeScaling(RopeScaling.Type.LINEAR, 4, 0, 0, 0).apply(0.5))
                .isEqualTo(0.125);
    }

    @Test
    void config_reads_llama3_and_linear_and_refuses_other_types() throws IOException {
        String base =
                "{\"model_type\":\"llama\",\"vocab_size\":10,\"hidden_size\":16,"
                        + "\"intermediate_size\":8,\"num_hidden_layers\":1,"
                        + "\"num_attention_heads\":2,\"rope_scaling\":";
        Path f = tmp.resolve("a.json");
        Files.writeString(
                f,
                base
                        + "{\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":1.0,"
                        + "\"high_freq_factor\":4.0,\"original_max_position_embeddings\":8192}}");
        LlamaConfig c = LlamaConfig.read(f);
        assertThat(c.ropeScaling()).isEqualTo(LLAMA31);
        Files.writeString(f, c.toJson().toString());
        assertThat(LlamaConfig.read(f)).isEqualTo(c);
        Files.writeString(f, base + "{\"type\":\"linear\",\"factor\":2.0}}");
        assertThat(LlamaConfig.read(f).ropeScaling().type()).isEqualTo(RopeScaling.Type.LINEAR);
        Files.writeString(f, base + "{\"type\":\"dynamic\",\"factor\":2.0}}");
        assertThatThrownBy(() -> LlamaConfig.read(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'dynamic'");
        Files.writeString(f, base + "null,\"hidden_act\":\"gelu\"}");
        assertThatThrownBy(() -> LlamaConfig.read(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("gelu");
        Files.writeString(f, base + "null,\"head_dim\":4}");
        assertThatThrownBy(() -> LlamaConfig.read(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("head_dim 4");
    }
}
