package dev.lorahub.bench;

import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.io.gguf.GgmlType;
import dev.lorahub.io.gguf.GgufFile;
import dev.lorahub.io.gguf.GgufTensor;
import dev.lorahub.io.gguf.GgufValueType;
import dev.lorahub.io.gguf.GgufWriter;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What a GGUF model costs in memory once loaded: every tensor becomes float32 in libtorch, whatever
 * its type in the file (docs/formats.md, "Memory once loaded").
 *
 * <pre>
 * GgufMemoryBench load MODEL.gguf
 *     loads the model (ModelBackends.load) and prints the file size and the process's resident
 *     memory (VmRSS, VmHWM from /proc/self/status) after the engine started and after the load
 * GgufMemoryBench write FROM.gguf TYPE OUT.gguf HIDDEN FFN LAYERS HEADS KV_HEADS
 *     writes a LLaMA model of that shape whose 2-D weights are of ggml TYPE (F32, Q8_0, Q4_K, ...):
 *     blocks copied cyclically from a tensor of that type in FROM (so every block is one ggml's
 *     quantizer wrote), norms 1.0 in F32, tokenizer and vocabulary copied from FROM
 * </pre>
 *
 * Run with the examples module's class path; peak RSS of the whole process is also given by {@code
 * /usr/bin/time -v}.
 */
public final class GgufMemoryBench {
    private GgufMemoryBench() {}

    /**
     * @param args see the class doc
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        if (args.length == 2 && args[0].equals("load")) {
            load(Path.of(args[1]));
        } else if (args.length == 9 && args[0].equals("write")) {
            write(
                    Path.of(args[1]),
                    GgmlType.valueOf(args[2]),
                    Path.of(args[3]),
                    Integer.parseInt(args[4]),
                    Integer.parseInt(args[5]),
                    Integer.parseInt(args[6]),
                    Integer.parseInt(args[7]),
                    Integer.parseInt(args[8]));
        } else {
            System.err.println(
                    "usage: GgufMemoryBench load MODEL.gguf | write FROM.gguf TYPE OUT.gguf HIDDEN"
                            + " FFN LAYERS HEADS KV_HEADS");
            System.exit(2);
        }
    }

    private static void load(Path file) throws IOException {
        DjlRuntime.start();
        String before = status();
        long t0 = System.nanoTime();
        try (BaseModel m = ModelBackends.load(file)) {
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.gc();
            System.out.printf(
                    Locale.ROOT,
                    "%s: %,d bytes; engine started: %s; loaded in %d ms: %s; heap used %d MB%n",
                    file.getFileName(),
                    Files.size(file),
                    before,
                    ms,
                    status(),
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory())
                            >> 20);
        }
    }

    /** VmRSS and VmHWM (peak) of this process, in MB. */
    private static String status() throws IOException {
        long rss = 0;
        long hwm = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = kb(line);
            } else if (line.startsWith("VmHWM:")) {
                hwm = kb(line);
            }
        }
        return String.format(Locale.ROOT, "RSS %d MB, peak %d MB", rss >> 10, hwm >> 10);
    }

    private static long kb(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }

    private static void write(
            Path from, GgmlType type, Path out, int hidden, int ffn, int layers, int heads, int kv)
            throws IOException {
        GgufFile src = GgufFile.open(from);
        byte[] pattern = pattern(src, type);
        GgufWriter w = new GgufWriter();
        for (String key : src.metadata().keySet()) {
            if (key.startsWith("tokenizer.") || key.equals("general.architecture")) {
                GgufValueType t = src.valueType(key).orElseThrow();
                if (t == GgufValueType.ARRAY) {
                    w.putArray(key, src.arrayType(key).orElseThrow(), (List<?>) src.metadata().get(key));
                } else {
                    w.put(key, t, src.metadata().get(key));
                }
            }
        }
        long vocab = ((List<?>) src.metadata().get("tokenizer.ggml.tokens")).size();
        int headDim = hidden / heads;
        w.put("general.name", GgufValueType.STRING, "synthetic " + type);
        w.put("llama.vocab_size", GgufValueType.UINT32, vocab);
        w.put("llama.context_length", GgufValueType.UINT32, 512L);
        w.put("llama.embedding_length", GgufValueType.UINT32, (long) hidden);
        w.put("llama.feed_forward_length", GgufValueType.UINT32, (long) ffn);
        w.put("llama.block_count", GgufValueType.UINT32, (long) layers);
        w.put("llama.attention.head_count", GgufValueType.UINT32, (long) heads);
        w.put("llama.attention.head_count_kv", GgufValueType.UINT32, (long) kv);
        w.put("llama.attention.layer_norm_rms_epsilon", GgufValueType.FLOAT32, 1e-5);
        w.put("llama.rope.dimension_count", GgufValueType.UINT32, (long) headDim);
        w.put("llama.rope.freq_base", GgufValueType.FLOAT32, 10000.0);
        matrix(w, "token_embd.weight", type, pattern, hidden, vocab);
        norm(w, "output_norm.weight", hidden);
        matrix(w, "output.weight", type, pattern, hidden, vocab);
        for (int b = 0; b < layers; b++) {
            String p = "blk." + b + ".";
            norm(w, p + "attn_norm.weight", hidden);
            matrix(w, p + "attn_q.weight", type, pattern, hidden, hidden);
            matrix(w, p + "attn_k.weight", type, pattern, hidden, (long) kv * headDim);
            matrix(w, p + "attn_v.weight", type, pattern, hidden, (long) kv * headDim);
            matrix(w, p + "attn_output.weight", type, pattern, hidden, hidden);
            norm(w, p + "ffn_norm.weight", hidden);
            matrix(w, p + "ffn_gate.weight", type, pattern, hidden, ffn);
            matrix(w, p + "ffn_up.weight", type, pattern, hidden, ffn);
            matrix(w, p + "ffn_down.weight", type, pattern, ffn, hidden);
        }
        w.write(out);
        System.out.printf(Locale.ROOT, "wrote %s: %,d bytes%n", out, Files.size(out));
    }

    /** The stored bytes of the largest 2-D tensor of that type in the file. */
    private static byte[] pattern(GgufFile src, GgmlType type) throws IOException {
        GgufTensor best = null;
        for (GgufTensor t : src.tensors().values()) {
            if (t.type() == type && t.ne().length == 2 && (best == null || t.byteLength() > best.byteLength())) {
                best = t;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException(src.file() + " has no 2-D " + type + " tensor");
        }
        ByteBuffer b = src.rawBytes(best.name());
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
    }

    private static void matrix(
            GgufWriter w, String name, GgmlType type, byte[] pattern, long in, long out) {
        byte[] data = new byte[Math.toIntExact(type.byteLength(in * out))];
        for (int i = 0; i < data.length; i += pattern.length) {
            System.arraycopy(pattern, 0, data, i, Math.min(pattern.length, data.length - i));
        }
        w.tensor(name, type, new long[] {in, out}, data);
    }

    private static void norm(GgufWriter w, String name, long n) {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(4 * n)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(1f);
        }
        w.tensor(name, GgmlType.F32, new long[] {n}, b.array());
    }
}
