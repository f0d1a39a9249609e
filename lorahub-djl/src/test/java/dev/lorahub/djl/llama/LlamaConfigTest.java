package dev.lorahub.djl.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.djl.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaConfigTest {
    @TempDir Path tmp;

    private Path write(String json) throws IOException {
        Path f = tmp.resolve("config" + json.hashCode() + ".json");
        Files.writeString(f, json);
        return f;
    }

    @Test
    void reads_mistral_and_qwen2_with_hf_defaults() throws IOException {
        LlamaConfig m =
                LlamaConfig.read(
                        write(
                                "{\"model_type\":\"mistral\",\"vocab_size\":32000,\"hidden_size\":4096,"
                                        + "\"intermediate_size\":14336,\"num_hidden_layers\":32,"
                                        + "\"num_attention_heads\":32,\"num_key_value_heads\":8,"
                                        + "\"rms_norm_eps\":1e-5,\"rope_theta\":1000000.0,"
                                        + "\"bos_token_id\":1,\"eos_token_id\":2,"
                                        + "\"sliding_window\":4096}"));
        assertThat(m.kvGroups()).isEqualTo(4);
        assertThat(m.headDim()).isEqualTo(128);
        assertThat(m.ropeTheta()).isEqualTo(1e6);
        assertThat(m.tieWordEmbeddings()).isFalse();
        assertThat(m.attentionBias()).isFalse();
        assertThat(m.padTokenId()).isEqualTo(-1);
        assertThat(m.slidingWindow()).isEqualTo(4096);
        assertThat(m.mlpBias()).isFalse();
        assertThat(LlamaConfig.read(write(m.toJson().toString()))).isEqualTo(m);
        LlamaConfig q =
                LlamaConfig.read(
                        write(
                                "{\"model_type\":\"qwen2\",\"vocab_size\":100,\"hidden_size\":16,"
                                        + "\"intermediate_size\":32,\"num_hidden_layers\":1,"
                                        + "\"num_attention_heads\":2,\"tie_word_embeddings\":true,"
                                        + "\"eos_token_id\":[7, 8]}"));
        assertThat(q.attentionBias()).isTrue();
        assertThat(q.tieWordEmbeddings()).isTrue();
        assertThat(q.numKvHeads()).isEqualTo(2);
        assertThat(q.eosTokenId()).isEqualTo(7);
        assertThat(q.slidingWindow()).isEqualTo(-1);
        assertThat(LlamaConfig.read(write(q.toJson().toString()))).isEqualTo(q);
    }

    @Test
    void names_the_key_that_is_missing_or_inconsistent() throws IOException {
        Path noHidden =
                write(
                        "{\"model_type\":\"llama\",\"vocab_size\":10,\"intermediate_size\":8,"
                                + "\"num_hidden_layers\":1,\"num_attention_heads\":2}");
        assertThatThrownBy(() -> LlamaConfig.read(noHidden))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("hidden_size")
                .hasMessageContaining(noHidden.toString());
        Path gqa =
                write(
                        "{\"model_type\":\"llama\",\"vocab_size\":10,\"hidden_size\":12,"
                                + "\"intermediate_size\":8,\"num_hidden_layers\":1,"
                                + "\"num_attention_heads\":3,\"num_key_value_heads\":2}");
        assertThatThrownBy(() -> LlamaConfig.read(gqa))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("num_key_value_heads 2");
        Path bert = write("{\"model_type\":\"bert\"}");
        assertThatThrownBy(() -> LlamaConfig.read(bert))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'bert'");
    }

    @Test
    void reads_mlp_bias_and_refuses_a_qwen2_sliding_window() throws IOException {
        String sizes =
                "\"vocab_size\":10,\"hidden_size\":8,\"intermediate_size\":8,"
                        + "\"num_hidden_layers\":1,\"num_attention_heads\":2";
        LlamaConfig l =
                LlamaConfig.read(write("{\"model_type\":\"llama\"," + sizes + ",\"mlp_bias\":true}"));
        assertThat(l.mlpBias()).isTrue();
        assertThat(LlamaLayout.shapes(l)).containsKeys("model.layers.0.mlp.down_proj.bias");
        assertThat(LlamaConfig.read(write(l.toJson().toString()))).isEqualTo(l);
        // llama has no window, whatever the file says
        assertThat(
                        LlamaConfig.read(
                                        write(
                                                "{\"model_type\":\"llama\","
                                                        + sizes
                                                        + ",\"sliding_window\":3}"))
                                .slidingWindow())
                .isEqualTo(-1);
        Path qwen =
                write(
                        "{\"model_type\":\"qwen2\","
                                + sizes
                                + ",\"use_sliding_window\":true,\"sliding_window\":4}");
        assertThatThrownBy(() -> LlamaConfig.read(qwen))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("use_sliding_window");
        Path zero = write("{\"model_type\":\"mistral\"," + sizes + ",\"sliding_window\":0}");
        assertThatThrownBy(() -> LlamaConfig.read(zero))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("sliding_window 0");
    }
}
