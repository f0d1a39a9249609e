package dev.lorahub.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lorahub.io.DType;
import dev.lorahub.io.SafetensorsWriter;
import dev.lorahub.io.TensorData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a real-size case folder for {@code lorahub learn}, with random weights and no download: a
 * Hugging Face model folder (config.json, sharded safetensors with {@code
 * model.safetensors.index.json}), 20 PEFT adapters of rank 16 on {@code q} and {@code v}, and 5
 * pre-tokenized examples of 60 input and 5 output tokens ({@code examples.jsonl}).
 *
 * <pre>
 * case/model/            config.json, model-0000i-of-0000n.safetensors, model.safetensors.index.json
 * case/adapters/a00..a19 adapter_config.json, adapter_model.safetensors
 * case/examples.jsonl    {"input_ids": [...], "labels": [...]} per line
 * </pre>
 *
 * <p>Shapes ({@link Shape}): {@code flan-t5-large} (d_model 1024, d_kv 64, d_ff 2816, 24 + 24
 * layers, 16 heads, vocab 32128, gated-gelu, untied head; 783M parameters), {@code llama-1b}
 * (Llama-3.2-1B: hidden 2048, intermediate 8192, 16 layers, 32 heads, 8 KV heads, vocab 128256,
 * tied embeddings, rope_theta 500000; 1.24B), {@code llama-7b} (Llama-2-7B: hidden 4096,
 * intermediate 11008, 32 layers, 32 heads, vocab 32000, untied; 6.74B).
 *
 * <p>Usage: {@code ScaleCase SHAPE OUT_DIR [f32|bf16|f16]}. Weights are uniform in
 * {@code +-sqrt(3) * 0.02} (sd 0.02, as HF's init), norms 1. Needs about one shard (~1 GB) plus the
 * largest tensor of heap.
 */
public final class ScaleCase {
    private static final int MODULES = 20;
    private static final int RANK = 16;
    private static final int EXAMPLES = 5;
    private static final int INPUT_TOKENS = 60;
    private static final int TARGET_TOKENS = 5;
    private static final long SHARD_BYTES = 1L << 30;

    /** A model shape: its config, its tensors in checkpoint order, and its LoRA targets. */
    enum Shape {
        FLAN_T5_LARGE("flan-t5-large"),
        LLAMA_1B("llama-1b"),
        LLAMA_7B("llama-7b");

        final String id;

        Shape(String id) {
            this.id = id;
        }

        static Shape parse(String s) {
            for (Shape shape : values()) {
                if (shape.id.equals(s)) {
                    return shape;
                }
            }
            throw new IllegalArgumentException(
                    "unknown shape '" + s + "': flan-t5-large, llama-1b or llama-7b");
        }

        boolean isT5() {
            return this == FLAN_T5_LARGE;
        }
    }

    /** One tensor to write: its HF name and shape; norms are ones. */
    record Spec(String name, long[] shape, boolean norm) {}

    private ScaleCase() {}

    /**
     * @param args SHAPE OUT_DIR [dtype]
     * @throws IOException if a file cannot be written
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: ScaleCase flan-t5-large|llama-1b|llama-7b OUT_DIR [f32|bf16]");
            System.exit(2);
        }
        Shape shape = Shape.parse(args[0]);
        Path out = Path.of(args[1]);
        DType dtype = args.length > 2 ? DType.valueOf(args[2].toUpperCase(Locale.ROOT)) : DType.F32;
        long t0 = System.nanoTime();
        write(shape, out, dtype);
        System.out.printf(
                Locale.ROOT,
                "%s written to %s in %.1f s%n",
                shape.id,
                out,
                (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Writes the whole case folder.
     *
     * @param shape the model shape
     * @param out the case folder (created)
     * @param dtype the checkpoint's storage type (adapters are F32, as PEFT writes them)
     * @throws IOException if a file cannot be written
     */
    static void write(Shape shape, Path out, DType dtype) throws IOException {
        Path model = out.resolve("model");
        Files.createDirectories(model);
        writeJson(model.resolve("config.json"), config(shape, dtype));
        writeShards(model, tensors(shape), dtype, new SplittableRandom(42));
        List<Spec> targets = loraTargets(shape);
        for (int m = 0; m < MODULES; m++) {
            writeAdapter(
                    shape, out.resolve(String.format(Locale.ROOT, "adapters/a%02d", m)), targets, m);
        }
        writeExamples(shape, out.resolve("examples.jsonl"));
    }

    static Map<String, Object> config(Shape shape, DType dtype) {
        Map<String, Object> c = new LinkedHashMap<>();
        String torchDtype = dtype == DType.F32 ? "float32" : dtype == DType.BF16 ? "bfloat16" : "float16";
        switch (shape) {
            case FLAN_T5_LARGE -> {
                c.put("architectures", List.of("T5ForConditionalGeneration"));
                c.put("model_type", "t5");
                c.put("d_model", 1024);
                c.put("d_kv", 64);
                c.put("d_ff", 2816);
                c.put("num_layers", 24);
                c.put("num_decoder_layers", 24);
                c.put("num_heads", 16);
                c.put("relative_attention_num_buckets", 32);
                c.put("relative_attention_max_distance", 128);
                c.put("feed_forward_proj", "gated-gelu");
                c.put("dense_act_fn", "gelu_new");
                c.put("is_gated_act", true);
                c.put("layer_norm_epsilon", 1e-6);
                c.put("tie_word_embeddings", false);
                c.put("vocab_size", 32128);
                c.put("pad_token_id", 0);
                c.put("eos_token_id", 1);
                c.put("decoder_start_token_id", 0);
            }
            case LLAMA_1B, LLAMA_7B -> {
                boolean small = shape == Shape.LLAMA_1B;
                c.put("architectures", List.of("LlamaForCausalLM"));
                c.put("model_type", "llama");
                c.put("hidden_size", small ? 2048 : 4096);
                c.put("intermediate_size", small ? 8192 : 11008);
                c.put("num_hidden_layers", small ? 16 : 32);
                c.put("num_attention_heads", 32);
                c.put("num_key_value_heads", small ? 8 : 32);
                c.put("vocab_size", small ? 128256 : 32000);
                c.put("rms_norm_eps", small ? 1e-5 : 1e-5);
                c.put("rope_theta", small ? 500000.0 : 10000.0);
                c.put("max_position_embeddings", small ? 131072 : 4096);
                c.put("hidden_act", "silu");
                c.put("tie_word_embeddings", small);
                c.put("bos_token_id", 1);
                c.put("eos_token_id", 2);
            }
        }
        c.put("torch_dtype", torchDtype);
        return c;
    }

    /** Every tensor of the checkpoint, in the order transformers saves them. */
    static List<Spec> tensors(Shape shape) {
        List<Spec> specs = new ArrayList<>();
        if (shape.isT5()) {
            long d = 1024;
            long inner = 1024;
            long ff = 2816;
            specs.add(new Spec("shared.weight", new long[] {32128, d}, false));
            for (String stack : new String[] {"encoder", "decoder"}) {
                for (int b = 0; b < 24; b++) {
                    String p = stack + ".block." + b + ".layer.";
                    addAttention(specs, p + "0.SelfAttention.", d, inner, b == 0);
                    specs.add(new Spec(p + "0.layer_norm.weight", new long[] {d}, true));
                    int ffLayer = 1;
                    if (stack.equals("decoder")) {
                        addAttention(specs, p + "1.EncDecAttention.", d, inner, false);
                        specs.add(new Spec(p + "1.layer_norm.weight", new long[] {d}, true));
                        ffLayer = 2;
                    }
                    String f = p + ffLayer + ".DenseReluDense.";
                    specs.add(new Spec(f + "wi_0.weight", new long[] {ff, d}, false));
                    specs.add(new Spec(f + "wi_1.weight", new long[] {ff, d}, false));
                    specs.add(new Spec(f + "wo.weight", new long[] {d, ff}, false));
                    specs.add(new Spec(p + ffLayer + ".layer_norm.weight", new long[] {d}, true));
                }
                specs.add(new Spec(stack + ".final_layer_norm.weight", new long[] {d}, true));
            }
            specs.add(new Spec("lm_head.weight", new long[] {32128, d}, false));
        } else {
            boolean small = shape == Shape.LLAMA_1B;
            long h = small ? 2048 : 4096;
            long inter = small ? 8192 : 11008;
            long kv = small ? 512 : 4096;
            int layers = small ? 16 : 32;
            long vocab = small ? 128256 : 32000;
            specs.add(new Spec("model.embed_tokens.weight", new long[] {vocab, h}, false));
            for (int l = 0; l < layers; l++) {
                String p = "model.layers." + l + ".";
                specs.add(new Spec(p + "self_attn.q_proj.weight", new long[] {h, h}, false));
                specs.add(new Spec(p + "self_attn.k_proj.weight", new long[] {kv, h}, false));
                specs.add(new Spec(p + "self_attn.v_proj.weight", new long[] {kv, h}, false));
                specs.add(new Spec(p + "self_attn.o_proj.weight", new long[] {h, h}, false));
                specs.add(new Spec(p + "mlp.gate_proj.weight", new long[] {inter, h}, false));
                specs.add(new Spec(p + "mlp.up_proj.weight", new long[] {inter, h}, false));
                specs.add(new Spec(p + "mlp.down_proj.weight", new long[] {h, inter}, false));
                specs.add(new Spec(p + "input_layernorm.weight", new long[] {h}, true));
                specs.add(new Spec(p + "post_attention_layernorm.weight", new long[] {h}, true));
            }
            specs.add(new Spec("model.norm.weight", new long[] {h}, true));
            if (!small) {
                specs.add(new Spec("lm_head.weight", new long[] {vocab, h}, false));
            }
        }
        return specs;
    }

    private static void addAttention(
            List<Spec> specs, String p, long d, long inner, boolean relativeBias) {
        specs.add(new Spec(p + "q.weight", new long[] {inner, d}, false));
        specs.add(new Spec(p + "k.weight", new long[] {inner, d}, false));
        specs.add(new Spec(p + "v.weight", new long[] {inner, d}, false));
        specs.add(new Spec(p + "o.weight", new long[] {d, inner}, false));
        if (relativeBias) {
            specs.add(new Spec(p + "relative_attention_bias.weight", new long[] {32, 16}, false));
        }
    }

    /** The q and v weights of the checkpoint: the LoRA targets (PEFT's order). */
    static List<Spec> loraTargets(Shape shape) {
        List<Spec> targets = new ArrayList<>();
        for (Spec s : tensors(shape)) {
            String n = s.name();
            if (n.endsWith(".q.weight")
                    || n.endsWith(".v.weight")
                    || n.endsWith(".q_proj.weight")
                    || n.endsWith(".v_proj.weight")) {
                targets.add(s);
            }
        }
        return targets;
    }

    private static void writeShards(Path model, List<Spec> specs, DType dtype, SplittableRandom rnd)
            throws IOException {
        List<List<Spec>> shards = new ArrayList<>();
        List<Spec> current = new ArrayList<>();
        long bytes = 0;
        for (Spec s : specs) {
            long size = numel(s.shape()) * dtype.byteSize();
            if (!current.isEmpty() && bytes + size > SHARD_BYTES) {
                shards.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(s);
            bytes += size;
        }
        shards.add(current);
        Map<String, String> weightMap = new LinkedHashMap<>();
        long total = 0;
        for (int i = 0; i < shards.size(); i++) {
            String file =
                    String.format(
                            Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
            List<TensorData> data = new ArrayList<>();
            for (Spec s : shards.get(i)) {
                data.add(TensorData.ofFloats(s.name(), s.shape(), values(s, rnd), dtype));
                weightMap.put(s.name(), file);
                total += numel(s.shape()) * dtype.byteSize();
            }
            SafetensorsWriter.write(model.resolve(file), Map.of("format", "pt"), data);
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", Map.of("total_size", total));
        index.put("weight_map", weightMap);
        writeJson(model.resolve("model.safetensors.index.json"), index);
    }

    private static float[] values(Spec s, SplittableRandom rnd) {
        long n = numel(s.shape());
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(s.name() + " is too large for one array");
        }
        float[] v = new float[(int) n];
        if (s.norm()) {
            java.util.Arrays.fill(v, 1f);
            return v;
        }
        double bound = Math.sqrt(3) * 0.02;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        }
        return v;
    }

    private static void writeAdapter(Shape shape, Path dir, List<Spec> targets, int index)
            throws IOException {
        Files.createDirectories(dir);
        SplittableRandom rnd = new SplittableRandom(1000 + index);
        List<TensorData> tensors = new ArrayList<>();
        for (Spec t : targets) {
            long out = t.shape()[0];
            long in = t.shape()[1];
            String prefix = "base_model.model." + t.name().substring(0, t.name().length() - 7);
            float[] a = new float[(int) (RANK * in)];
            float[] b = new float[(int) (out * RANK)];
            double boundA = 1.0 / Math.sqrt(in);
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((rnd.nextDouble() * 2 - 1) * boundA);
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) ((rnd.nextDouble() * 2 - 1) * 0.01);
            }
            tensors.add(TensorData.ofFloats(prefix + ".lora_A.weight", new long[] {RANK, in}, a, DType.F32));
            tensors.add(TensorData.ofFloats(prefix + ".lora_B.weight", new long[] {out, RANK}, b, DType.F32));
        }
        SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), Map.of("format", "pt"), tensors);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("base_model_name_or_path", "../../model");
        config.put("bias", "none");
        config.put("fan_in_fan_out", false);
        config.put("inference_mode", true);
        config.put("lora_alpha", 2 * RANK);
        config.put("lora_dropout", 0.0);
        config.put("peft_type", "LORA");
        config.put("r", RANK);
        config.put("target_modules", shape.isT5() ? List.of("q", "v") : List.of("q_proj", "v_proj"));
        config.put("task_type", shape.isT5() ? "SEQ_2_SEQ_LM" : "CAUSAL_LM");
        writeJson(dir.resolve("adapter_config.json"), config);
    }

    private static void writeExamples(Shape shape, Path file) throws IOException {
        SplittableRandom rnd = new SplittableRandom(7);
        int vocab = shape.isT5() ? 32128 : shape == Shape.LLAMA_1B ? 128256 : 32000;
        ObjectMapper om = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        for (int e = 0; e < EXAMPLES; e++) {
            Map<String, Object> row = new LinkedHashMap<>();
            if (shape.isT5()) {
                row.put("input_ids", tokens(rnd, INPUT_TOKENS, vocab, 1));
                row.put("labels", tokens(rnd, TARGET_TOKENS, vocab, 1));
            } else {
                List<Integer> ids = tokens(rnd, INPUT_TOKENS + TARGET_TOKENS, vocab, 0);
                ids.set(0, 1);
                List<Integer> labels = new ArrayList<>(ids);
                for (int i = 0; i < INPUT_TOKENS; i++) {
                    labels.set(i, -100);
                }
                row.put("input_ids", ids);
                row.put("labels", labels);
            }
            sb.append(om.writeValueAsString(row)).append('\n');
        }
        Files.writeString(file, sb.toString());
    }

    /** Random ids in [3, vocab), the last one {@code eos} when it is not 0. */
    private static List<Integer> tokens(SplittableRandom rnd, int n, int vocab, int eos) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(3 + rnd.nextInt(vocab - 3));
        }
        if (eos != 0) {
            ids.set(n - 1, eos);
        }
        return ids;
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    private static void writeJson(Path file, Object value) {
        try {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
