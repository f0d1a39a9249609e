package dev.lorahub.djl.gguf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.djl.internal.WeightOps;
import dev.lorahub.djl.llama.LlamaBaseModel;
import dev.lorahub.djl.llama.LlamaConfig;
import dev.lorahub.djl.llama.LlamaLayout;
import dev.lorahub.djl.llama.LlamaModel;
import dev.lorahub.djl.llama.RopeStyle;
import dev.lorahub.djl.tokenizers.SentencePieceBpe;
import dev.lorahub.io.AdapterFormatException;
import dev.lorahub.io.gguf.GgufFile;
import dev.lorahub.io.gguf.GgufTensor;
import dev.lorahub.io.gguf.LlamaCppNames;
import dev.lorahub.model.WeightDtype;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Loads a LLaMA-architecture GGUF file ({@code general.architecture = llama}) as a {@link
 * LlamaBaseModel} with its embedded SentencePiece BPE tokenizer.
 *
 * <p>Names map to Hugging Face's so that PEFT adapters target the same module paths: {@code
 * token_embd} = {@code model.embed_tokens}, {@code blk.N.attn_norm} = {@code
 * model.layers.N.input_layernorm}, {@code attn_q/k/v/output} = {@code self_attn.q/k/v/o_proj},
 * {@code ffn_norm} = {@code post_attention_layernorm}, {@code ffn_gate/up/down} = {@code
 * mlp.gate/up/down_proj}, {@code output_norm} = {@code model.norm}, {@code output} = {@code
 * lm_head} (absent: tied).
 *
 * <p>q/k rows: GGUF files hold {@code attn_q}/{@code attn_k} in llama.cpp's order for its
 * adjacent-pair RoPE, whether llama.cpp's converter permuted them from a Hugging Face checkpoint or
 * they came so from a llama2.c/Meta checkpoint. They are put back in Hugging Face's order on load
 * ({@link LlamaCppNames#toHfRows}) and run with {@link RopeStyle#ROTATE_HALF}, which computes the
 * same function: so the loaded model is the Hugging Face model, PEFT adapters written for it apply
 * as they are, and llama.cpp adapters are read into the same convention. Tensors of every type
 * {@link GgufFile} decodes are converted to float32 (ggml's exact values). Hyper-parameters come from {@code llama.*} metadata: {@code embedding_length}, {@code
 * feed_forward_length}, {@code block_count}, {@code attention.head_count(_kv)}, {@code
 * attention.layer_norm_rms_epsilon}, {@code rope.freq_base} (default 10000), {@code
 * context_length}; BOS/EOS from {@code tokenizer.ggml.*}.
 */
public final class GgufLlama {
    private GgufLlama() {}

    /**
     * @param file a {@code .gguf} file
     * @return the model with its tokenizer; the caller closes it
     * @throws IOException if the file cannot be read
     * @throws ModelFormatException for an invalid GGUF file, another architecture or tokenizer,
     *     missing metadata or tensors, a tensor type that is not converted, a shape mismatch or a
     *     truncated file; nothing stays allocated then
     */
    public static LlamaBaseModel load(Path file) throws IOException {
        return load(file, WeightDtype.F32);
    }

    /**
     * As {@link #load(Path)}, keeping the weight matrices in {@code dtype}: quantized blocks are
     * dequantized to float32 one tensor at a time, then rounded to float16 for {@link
     * WeightDtype#F16}.
     *
     * @param file a {@code .gguf} file
     * @param dtype how to keep the weight matrices
     * @return the model, to be closed
     * @throws IOException if reading fails
     * @throws ModelFormatException as {@link #load(Path)}, or for a value float16 cannot hold
     */
    public static LlamaBaseModel load(Path file, WeightDtype dtype) throws IOException {
        try {
            return loadChecked(file, dtype);
        } catch (AdapterFormatException e) {
            // the reader's message already starts with the file: keep it once
            String problem = String.valueOf(e.getMessage());
            String prefix = file + ": ";
            throw new ModelFormatException(
                    file,
                    problem.startsWith(prefix) ? problem.substring(prefix.length()) : problem,
                    e);
        }
    }

    private static LlamaBaseModel loadChecked(Path file, WeightDtype dtype) throws IOException {
        GgufFile gguf = GgufFile.open(file);
        LlamaConfig config = config(gguf);
        SentencePieceBpe tokenizer = tokenizer(gguf, config);
        DjlRuntime.start();
        NDManager root = NDManager.newBaseManager();
        try {
            NDManager weights = root.newSubManager();
            Map<String, NDArray> w = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : LlamaLayout.shapes(config).entrySet()) {
                String hfName = e.getKey();
                String ggufName = ggufName(hfName);
                GgufTensor t =
                        gguf.tensor(ggufName)
                                .orElseThrow(
                                        () ->
                                                new ModelFormatException(
                                                        file, "missing tensor '" + ggufName + "'"));
                if (!Arrays.equals(t.shape(), e.getValue())) {
                    throw new ModelFormatException(
                            file,
                            "tensor '"
                                    + ggufName
                                    + "' is "
                                    + Arrays.toString(t.shape())
                                    + ", expected "
                                    + Arrays.toString(e.getValue()));
                }
                float[] values = gguf.readFloats(ggufName);
                String module = hfName.substring(0, hfName.length() - ".weight".length());
                if (LlamaCppNames.isRopePermuted(module)) {
                    int rows = Math.toIntExact(e.getValue()[0]);
                    int cols = Math.toIntExact(e.getValue()[1]);
                    values = LlamaCppNames.toHfRows(values, rows, cols, config.headDim());
                }
                NDArray wide = weights.create(values, new Shape(e.getValue()));
                if (dtype == WeightDtype.F16 && e.getValue().length >= 2) {
                    WeightOps.requireHalfRange(
                            FloatBuffer.wrap(values), values.length, 0, file, ggufName);
                    try (wide) {
                        w.put(hfName, wide.toType(DataType.FLOAT16, false));
                    }
                } else {
                    w.put(hfName, wide);
                }
            }
            return new LlamaBaseModel(new LlamaModel(config, w, weights), tokenizer, root);
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    static String ggufName(String hf) {
        String module = hf.substring(0, hf.lastIndexOf('.'));
        return LlamaCppNames.toGguf(module)
                        .orElseThrow(() -> new IllegalArgumentException("no GGUF name for " + hf))
                + hf.substring(hf.lastIndexOf('.'));
    }

    static LlamaConfig config(GgufFile gguf) {
        Map<String, Object> m = gguf.metadata();
        Object arch = m.get("general.architecture");
        if (!"llama".equals(arch)) {
            throw new ModelFormatException(
                    gguf.file(),
                    "general.architecture is '" + arch + "', only 'llama' is supported");
        }
        Object scaling = m.get("llama.rope.scaling.type");
        if (gguf.tensor("rope_freqs.weight").isPresent()
                || scaling != null && !"none".equals(scaling)) {
            throw new ModelFormatException(
                    gguf.file(),
                    "RoPE scaling (llama.rope.scaling.type = "
                            + scaling
                            + ", rope_freqs.weight) is not supported in GGUF files");
        }
        int heads = intKey(gguf, "llama.attention.head_count", null);
        int hidden = intKey(gguf, "llama.embedding_length", null);
        boolean tied = gguf.tensor("output.weight").isEmpty();
        int vocab = ((List<?>) required(gguf, "tokenizer.ggml.tokens")).size();
        try {
            return LlamaConfig.builder("llama")
                    .sizes(
                            vocab,
                            hidden,
                            intKey(gguf, "llama.feed_forward_length", null),
                            intKey(gguf, "llama.block_count", null),
                            heads,
                            intKey(gguf, "llama.attention.head_count_kv", heads))
                    .rmsNormEps(
                            ((Number) required(gguf, "llama.attention.layer_norm_rms_epsilon"))
                                    .doubleValue())
                    .ropeTheta(
                            m.get("llama.rope.freq_base") instanceof Number n
                                    ? n.doubleValue()
                                    : 10000.0)
                    .ropeStyle(RopeStyle.ROTATE_HALF)
                    .tieWordEmbeddings(tied)
                    .tokenIds(
                            intKey(gguf, "tokenizer.ggml.bos_token_id", -1),
                            intKey(gguf, "tokenizer.ggml.eos_token_id", -1),
                            padId(m))
                    .maxPositionEmbeddings(intKey(gguf, "llama.context_length", 2048))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(gguf.file(), e.getMessage(), e);
        }
    }

    private static int padId(Map<String, Object> m) {
        Object pad = m.get("tokenizer.ggml.padding_token_id");
        // 0xFFFFFFFF (stored as u32) means none
        return pad instanceof Long l && l >= 0 && l < Integer.MAX_VALUE ? l.intValue() : -1;
    }

    static SentencePieceBpe tokenizer(GgufFile gguf, LlamaConfig config) {
        Object model = gguf.metadata().get("tokenizer.ggml.model");
        if (!"llama".equals(model)) {
            throw new ModelFormatException(
                    gguf.file(),
                    "tokenizer.ggml.model is '"
                            + model
                            + "', only 'llama' (SentencePiece BPE) is supported");
        }
        List<?> tokens = (List<?>) required(gguf, "tokenizer.ggml.tokens");
        List<?> scores = (List<?>) required(gguf, "tokenizer.ggml.scores");
        Object typesObj = gguf.metadata().get("tokenizer.ggml.token_type");
        String[] pieces = new String[tokens.size()];
        float[] s = new float[tokens.size()];
        int[] types = new int[tokens.size()];
        for (int i = 0; i < pieces.length; i++) {
            pieces[i] = (String) tokens.get(i);
            s[i] = ((Number) scores.get(i)).floatValue();
            types[i] =
                    typesObj instanceof List<?> l
                            ? ((Number) l.get(i)).intValue()
                            : SentencePieceBpe.NORMAL;
        }
        try {
            return new SentencePieceBpe(pieces, s, types, config.bosTokenId());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(gguf.file(), e.getMessage(), e);
        }
    }

    private static Object required(GgufFile gguf, String key) {
        Object v = gguf.metadata().get(key);
        if (v == null) {
            throw new ModelFormatException(gguf.file(), "missing metadata '" + key + "'");
        }
        return v;
    }

    private static int intKey(GgufFile gguf, String key, @Nullable Integer fallback) {
        Object v = gguf.metadata().get(key);
        if (v instanceof Number n) {
            return Math.toIntExact(n.longValue());
        }
        if (fallback == null) {
            throw new ModelFormatException(gguf.file(), "missing integer metadata '" + key + "'");
        }
        return fallback;
    }
}
