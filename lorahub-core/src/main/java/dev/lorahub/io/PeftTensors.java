package dev.lorahub.io;

import dev.lorahub.LoraLayer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads and validates the tensors of adapter_model.safetensors (or a pickled adapter_model.bin)
 * against the adapter config.
 */
final class PeftTensors {
    private PeftTensors() {}

    static PeftAdapters.Contents read(Path file, AdapterConfig config) throws IOException {
        FileHash hash = FileHash.snapshot(file);
        try (TensorFile reader = TensorFile.open(file)) {
            Map<String, TensorEntry> aByPath = new LinkedHashMap<>();
            Map<String, TensorEntry> bByPath = new LinkedHashMap<>();
            for (TensorEntry t : reader.entries()) {
                Optional<String> a = PeftAdapters.modulePathOf(t.name(), PeftAdapters.A_SUFFIX);
                Optional<String> b = PeftAdapters.modulePathOf(t.name(), PeftAdapters.B_SUFFIX);
                if (a.isPresent()) {
                    aByPath.put(a.get(), check(file, t));
                } else if (b.isPresent()) {
                    bByPath.put(b.get(), check(file, t));
                } else {
                    throw new AdapterFormatException(file, unsupported(t));
                }
            }
            for (Map.Entry<String, TensorEntry> e : bByPath.entrySet()) {
                if (!aByPath.containsKey(e.getKey())) {
                    throw new AdapterFormatException(
                            file,
                            "tensor '"
                                    + e.getValue().name()
                                    + "' "
                                    + shape(e.getValue())
                                    + " has no partner '"
                                    + key(e.getKey(), PeftAdapters.A_SUFFIX)
                                    + "'");
                }
            }
            List<LoraLayer> layers = new ArrayList<>();
            Map<String, StoredDtypes> dtypes = new LinkedHashMap<>();
            for (Map.Entry<String, TensorEntry> e : aByPath.entrySet()) {
                String path = e.getKey();
                TensorEntry a = e.getValue();
                TensorEntry b = bByPath.get(path);
                if (b == null) {
                    throw new AdapterFormatException(
                            file,
                            "tensor '"
                                    + a.name()
                                    + "' "
                                    + shape(a)
                                    + " has no partner '"
                                    + key(path, PeftAdapters.B_SUFFIX)
                                    + "'");
                }
                int rank = (int) a.shape()[0];
                int in = (int) a.shape()[1];
                int out = (int) b.shape()[0];
                if (b.shape()[1] != rank) {
                    throw new AdapterFormatException(
                            file,
                            "rank mismatch: '"
                                    + a.name()
                                    + "' is "
                                    + shape(a)
                                    + " but '"
                                    + b.name()
                                    + "' is "
                                    + shape(b)
                                    + " (lora_A is [r, in],"
                                    + " lora_B is [out, r])");
                }
                int expected = config.rankFor(path);
                if (rank != expected) {
                    throw new AdapterFormatException(
                            file,
                            "'"
                                    + a.name()
                                    + "' is "
                                    + shape(a)
                                    + ": rank "
                                    + rank
                                    + ", but adapter_config.json gives module '"
                                    + path
                                    + "' rank "
                                    + expected
                                    + (config.rankPattern().isEmpty()
                                            ? " (r)"
                                            : " (r/rank_pattern)"));
                }
                if (rank == 0 || in == 0 || out == 0) {
                    throw new AdapterFormatException(
                            file,
                            "layer '"
                                    + path
                                    + "' has an empty factor: '"
                                    + a.name()
                                    + "' "
                                    + shape(a)
                                    + ", '"
                                    + b.name()
                                    + "' "
                                    + shape(b));
                }
                layers.add(
                        readLayer(
                                reader,
                                path,
                                a.name(),
                                b.name(),
                                config.scalingFor(path),
                                config.fanInFanOut()));
                dtypes.put(path, new StoredDtypes(a.dtype(), b.dtype()));
            }
            if (layers.isEmpty()) {
                throw new AdapterFormatException(file, "holds no lora_A / lora_B tensors");
            }
            return new PeftAdapters.Contents(config, layers, dtypes, hash, reader.format());
        }
    }

    /**
     * Decodes one layer's factors from a tensor file: F32 as is, F16/BF16 exactly, F64
     * rounded ({@link TensorFile#readFloat32(String)}).
     *
     * @param reader an open reader
     * @param modulePath the layer's module path, e.g. {@code model.layers.0.self_attn.q_proj}
     * @param keyA the lora_A tensor, {@code [rank, inFeatures]}
     * @param keyB the lora_B tensor, {@code [outFeatures, rank]}
     * @param scaling s in {@code deltaW = s * B @ A}
     * @param fanInFanOut whether the base layer stores its weight as {@code [in, out]}
     * @return the layer
     * @throws IllegalArgumentException if a key is absent or not a float tensor, a tensor is not
     *     2-D, a dimension is 0 or too large for a {@code float[]}, or B's columns are not A's rows
     *     (the message names both keys and shapes)
     * @throws IOException if the file cannot be read
     */
    static LoraLayer readLayer(
            TensorFile reader,
            String modulePath,
            String keyA,
            String keyB,
            double scaling,
            boolean fanInFanOut)
            throws IOException {
        long[] a = shape2d(reader, keyA);
        long[] b = shape2d(reader, keyB);
        if (b[1] != a[0]) {
            throw new IllegalArgumentException(
                    "layer '"
                            + modulePath
                            + "': '"
                            + keyA
                            + "' is "
                            + Arrays.toString(a)
                            + " but '"
                            + keyB
                            + "' is "
                            + Arrays.toString(b)
                            + " (lora_A is [r, in], lora_B is [out, r])");
        }
        return new LoraLayer(
                modulePath,
                (int) a[0],
                (int) a[1],
                (int) b[0],
                reader.readFloat32(keyA),
                reader.readFloat32(keyB),
                scaling,
                fanInFanOut);
    }

    private static long[] shape2d(TensorFile reader, String key) {
        TensorEntry t =
                reader.entry(key)
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                reader.file() + ": no tensor '" + key + "'"));
        long[] s = t.shape();
        if (s.length != 2 || s[0] > Integer.MAX_VALUE || s[1] > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    reader.file()
                            + ": tensor '"
                            + key
                            + "' is "
                            + Arrays.toString(s)
                            + "; a LoRA factor is 2-D with dimensions that fit an int");
        }
        return s;
    }

    private static TensorEntry check(Path file, TensorEntry t) {
        if (!t.dtype().isConvertibleToFloat32()) {
            throw new AdapterFormatException(
                    file,
                    "tensor '"
                            + t.name()
                            + "' is "
                            + t.dtype()
                            + shape(t)
                            + "; LoRA factors must be F32, F16, BF16 or F64");
        }
        if (t.rank() != 2) {
            throw new AdapterFormatException(
                    file,
                    "tensor '"
                            + t.name()
                            + "' has shape "
                            + shape(t)
                            + "; LoRA factors must be 2-D (lora_A [r, in], lora_B [out, r])");
        }
        long[] s = t.shape();
        if (s[0] > Integer.MAX_VALUE
                || s[1] > Integer.MAX_VALUE
                || s[0] * s[1] > Integer.MAX_VALUE - 8) {
            throw new AdapterFormatException(
                    file,
                    "tensor '"
                            + t.name()
                            + "' "
                            + shape(t)
                            + " is too large for a LoRA"
                            + " factor held in one float[]");
        }
        return t;
    }

    private static String unsupported(TensorEntry t) {
        String n = t.name();
        String what;
        if (n.contains("lora_magnitude_vector")) {
            what = "a DoRA magnitude vector; DoRA adapters are not supported";
        } else if (n.contains("lora_embedding_A") || n.contains("lora_embedding_B")) {
            what = "an embedding LoRA factor; only LoRA on linear layers is supported";
        } else if (n.matches(".*\\.lora_[AB]\\.[^.]+\\.weight")) {
            what =
                    "a LoRA factor whose key still holds an adapter name; PEFT strips it on save"
                            + " (expected '...lora_A.weight')";
        } else if (n.endsWith(".bias")) {
            what = "a trained bias (bias/lora_bias); only bias \"none\" adapters are supported";
        } else {
            what =
                    "not a LoRA factor (a modules_to_save copy?); only '"
                            + PeftAdapters.PREFIX
                            + "<path>.lora_A.weight' / '.lora_B.weight' tensors are"
                            + " supported";
        }
        return "tensor '" + n + "' " + shape(t) + " is " + what;
    }

    private static String key(String path, String suffix) {
        return PeftAdapters.PREFIX + path + suffix;
    }

    private static String shape(TensorEntry t) {
        return Arrays.toString(t.shape());
    }
}
