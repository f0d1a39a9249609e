package dev.lorahub.djl.t5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.djl.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class T5ConfigTest {
    private static T5Config parse(String json) throws IOException {
        return T5Config.fromJson(new ObjectMapper().readTree(json));
    }

    @Test
    void flan_t5_style_config_is_gated_gelu_new_with_an_untied_head() throws IOException {
        T5Config c =
                parse(
                        "{\"model_type\":\"t5\",\"vocab_size\":32128,\"d_model\":512,\"d_kv\":64,"
                                + "\"d_ff\":1024,\"num_layers\":8,\"num_decoder_layers\":8,"
                                + "\"num_heads\":6,\"feed_forward_proj\":\"gated-gelu\","
                                + "\"tie_word_embeddings\":false,\"decoder_start_token_id\":0}");
        assertThat(c.activation()).isEqualTo(T5Activation.GELU_NEW);
        assertThat(c.gatedActivation()).isTrue();
        assertThat(c.tieWordEmbeddings()).isFalse();
        assertThat(c.innerDim()).isEqualTo(384);
        assertThat(c.numDecoderLayers()).isEqualTo(8);
    }

    @Test
    void original_t5_defaults_are_relu_with_a_tied_head_and_equal_stacks() throws IOException {
        T5Config c = parse("{\"model_type\":\"t5\",\"num_layers\":3}");
        assertThat(c.activation()).isEqualTo(T5Activation.RELU);
        assertThat(c.gatedActivation()).isFalse();
        assertThat(c.tieWordEmbeddings()).isTrue();
        assertThat(c.numDecoderLayers()).isEqualTo(3);
        assertThat(c.decoderStartTokenId()).isEqualTo(c.padTokenId());
        assertThat(c.eosTokenId()).isEqualTo(1);
    }

    @Test
    void gated_silu_and_plain_gelu_are_read_as_hf_reads_them() throws IOException {
        T5Config silu = parse("{\"model_type\":\"t5\",\"feed_forward_proj\":\"gated-silu\"}");
        assertThat(silu.activation()).isEqualTo(T5Activation.SILU);
        assertThat(silu.gatedActivation()).isTrue();
        T5Config gelu = parse("{\"model_type\":\"mt5\",\"feed_forward_proj\":\"gelu\"}");
        assertThat(gelu.activation()).isEqualTo(T5Activation.GELU);
        assertThat(gelu.gatedActivation()).isFalse();
    }

    @Test
    void rejects_malformed_feed_forward_proj_and_unknown_activations() {
        assertThatThrownBy(
                        () -> parse("{\"model_type\":\"t5\",\"feed_forward_proj\":\"fancy-gelu\"}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fancy-gelu");
        assertThatThrownBy(() -> parse("{\"model_type\":\"t5\",\"feed_forward_proj\":\"tanh\"}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tanh");
    }

    @Test
    void unknown_model_type_is_a_model_format_error_naming_the_file(@TempDir Path dir)
            throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"model_type\":\"bert\",\"vocab_size\":10}");
        assertThatThrownBy(() -> T5Config.read(file))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("'bert'");
    }

    @Test
    void invalid_json_is_a_model_format_error_naming_the_file(@TempDir Path dir)
            throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"model_type\": ");
        assertThatThrownBy(() -> T5Config.read(file))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(file.toString());
    }

    @Test
    void special_ids_outside_the_vocabulary_are_rejected() {
        assertThatThrownBy(
                        () -> parse("{\"model_type\":\"t5\",\"vocab_size\":8,\"eos_token_id\":9}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("9")
                .hasMessageContaining("8");
    }
}
