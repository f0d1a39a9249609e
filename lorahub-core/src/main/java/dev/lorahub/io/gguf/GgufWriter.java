package dev.lorahub.io.gguf;

import dev.lorahub.internal.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes GGUF v3 files byte for byte as ggml's {@code gguf_write_to_file} does: metadata in the
 * order added, tensor infos with ggml's dimension count (trailing dimensions of 1 dropped, at least
 * one kept), the data section and every tensor padded with zeros to the alignment (32 unless {@code
 * general.alignment} is set). Values are written with the type given, so that llama.cpp's strict
 * getters accept them (it aborts on an {@code adapter.lora.alpha} that is not f32).
 *
 * <p>Not thread-safe; build, then call {@link #write(Path)} or {@link #toBytes()}.
 */
public final class GgufWriter {
    private record Kv(String key, GgufValueType type, GgufValueType elem, Object value) {}

    private record Tensor(String name, GgmlType type, long[] ne, byte[] data) {}

    private final Map<String, Kv> kvs = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private long alignment = GgufFile.DEFAULT_ALIGNMENT;

    /** An empty file: no metadata, no tensors. */
    public GgufWriter() {}

    /**
     * @param key a metadata key, not yet added
     * @param type its value type (not {@link GgufValueType#ARRAY}); integers are given as any
     *     {@link Number}, floats as {@link Number}, BOOL as {@link Boolean}, STRING as {@link
     *     String}
     * @param value the value
     * @return this writer
     * @throws IllegalArgumentException if the key was added before or the value does not fit the
     *     type
     */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        if (type == GgufValueType.ARRAY) {
            throw new IllegalArgumentException("use putArray for '" + key + "'");
        }
        check(key, type, value);
        return add(new Kv(key, type, type, value));
    }

    /**
     * @param key a metadata key, not yet added
     * @param elem the element type (not {@link GgufValueType#ARRAY})
     * @param values the elements, each as {@link #put} takes it
     * @return this writer
     */
    public GgufWriter putArray(String key, GgufValueType elem, List<?> values) {
        if (elem == GgufValueType.ARRAY) {
            throw new IllegalArgumentException("'" + key + "': GGUF has no arrays of arrays");
        }
        for (Object v : values) {
            check(key, elem, v);
        }
        return add(new Kv(key, GgufValueType.ARRAY, elem, List.copyOf(values)));
    }

    private GgufWriter add(Kv kv) {
        if (kv.key().isEmpty() || kvs.containsKey(kv.key())) {
            throw new IllegalArgumentException("metadata key '" + kv.key() + "' empty or given twice");
        }
        if (kv.key().equals("general.alignment")) {
            if (kv.type() != GgufValueType.UINT32) {
                throw new IllegalArgumentException("general.alignment must be UINT32");
            }
            long a = ((Number) kv.value()).longValue();
            if (a <= 0 || (a & (a - 1)) != 0) {
                throw new IllegalArgumentException("general.alignment " + a + " is not a power of 2");
            }
            alignment = a;
        }
        kvs.put(kv.key(), kv);
        return this;
    }

    private static void check(String key, GgufValueType type, Object value) {
        Objects.requireNonNull(value, key);
        boolean ok =
                switch (type) {
                    case STRING -> value instanceof String;
                    case BOOL -> value instanceof Boolean;
                    case FLOAT32, FLOAT64 -> value instanceof Number;
                    default -> value instanceof Number n && fits(type, n.longValue());
                };
        if (!ok) {
            throw new IllegalArgumentException(
                    "metadata '" + key + "': " + value + " is not a " + type + " value");
        }
    }

    private static boolean fits(GgufValueType type, long v) {
        return switch (type) {
            case UINT8 -> v >= 0 && v <= 0xFF;
            case INT8 -> v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE;
            case UINT16 -> v >= 0 && v <= 0xFFFF;
            case INT16 -> v >= Short.MIN_VALUE && v <= Short.MAX_VALUE;
            case UINT32 -> v >= 0 && v <= 0xFFFF_FFFFL;
            case INT32 -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
            default -> true;
        };
    }

    /**
     * @param name tensor name, shorter than {@link GgufFile#MAX_NAME_BYTES} bytes, not yet added
     * @param type its ggml type
     * @param ne ggml dimensions ({@code ne[0]} contiguous), 1 to 4 of them
     * @param data exactly the tensor's stored bytes
     * @return this writer
     * @throws IllegalArgumentException if the name, dimensions or byte count are wrong
     */
    public GgufWriter tensor(String name, GgmlType type, long[] ne, byte[] data) {
        if (name.getBytes(StandardCharsets.UTF_8).length >= GgufFile.MAX_NAME_BYTES) {
            throw new IllegalArgumentException(
                    "tensor name '" + name + "' has " + GgufFile.MAX_NAME_BYTES + " bytes or more");
        }
        for (Tensor t : tensors) {
            if (t.name().equals(name)) {
                throw new IllegalArgumentException("tensor '" + name + "' given twice");
            }
        }
        if (ne.length < 1 || ne.length > 4 || ne[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "': dimensions " + Arrays.toString(ne) + " for " + type);
        }
        long numel = 1;
        for (long d : ne) {
            if (d < 0) {
                throw new IllegalArgumentException(
                        "tensor '" + name + "': negative dimension in " + Arrays.toString(ne));
            }
            numel = Math.multiplyExact(numel, d);
        }
        if (type.byteLength(numel) != data.length) {
            throw new IllegalArgumentException(
                    "tensor '"
                            + name
                            + "': "
                            + type
                            + " "
                            + Arrays.toString(ne)
                            + " takes "
                            + type.byteLength(numel)
                            + " bytes, got "
                            + data.length);
        }
        tensors.add(new Tensor(name, type, ne.clone(), data.clone()));
        return this;
    }

    /**
     * @param name tensor name
     * @param ne ggml dimensions
     * @param values row-major values, stored as F32
     * @return this writer
     */
    public GgufWriter tensorF32(String name, long[] ne, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return tensor(name, GgmlType.F32, ne, b.array());
    }

    /**
     * @return the file's bytes
     */
    public byte[] toBytes() {
        Out out = new Out();
        out.bytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        out.u32(3);
        out.u64(tensors.size());
        out.u64(kvs.size());
        for (Kv kv : kvs.values()) {
            out.string(kv.key());
            out.u32(kv.type().id());
            if (kv.type() == GgufValueType.ARRAY) {
                List<?> list = (List<?>) kv.value();
                out.u32(kv.elem().id());
                out.u64(list.size());
                for (Object v : list) {
                    out.value(kv.elem(), v);
                }
            } else {
                out.value(kv.type(), kv.value());
            }
        }
        long offset = 0;
        for (Tensor t : tensors) {
            out.string(t.name());
            int nDims = t.ne().length;
            while (nDims > 1 && t.ne()[nDims - 1] == 1) {
                nDims--; // ggml_n_dims
            }
            out.u32(nDims);
            for (int d = 0; d < nDims; d++) {
                out.u64(t.ne()[d]);
            }
            out.u32(t.type().id());
            out.u64(offset);
            offset += GgufParser.align(t.data().length, alignment);
        }
        out.pad(alignment);
        for (Tensor t : tensors) {
            out.bytes(t.data());
            out.pad(alignment);
        }
        return out.toByteArray();
    }

    /**
     * Writes the file atomically: into a temp file beside {@code file}, synced, then moved into
     * place (replacing an existing file). On failure no partial file is left.
     *
     * @param file the target
     * @throws IOException if writing fails
     */
    public void write(Path file) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        Files.createDirectories(abs.getParent());
        AtomicFiles.write(abs, toBytes());
    }

    private static final class Out extends ByteArrayOutputStream {
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        void bytes(byte[] b) {
            write(b, 0, b.length);
        }

        void le(long v, int n) {
            scratch.clear();
            scratch.putLong(v);
            write(scratch.array(), 0, n);
        }

        void u32(long v) {
            le(v, 4);
        }

        void u64(long v) {
            le(v, 8);
        }

        void string(String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            u64(u.length);
            bytes(u);
        }

        void pad(long alignment) {
            while (count % alignment != 0) {
                write(0);
            }
        }

        void value(GgufValueType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> le(((Number) v).longValue(), 1);
                case UINT16, INT16 -> le(((Number) v).longValue(), 2);
                case UINT32, INT32 -> le(((Number) v).longValue(), 4);
                case UINT64, INT64 -> le(((Number) v).longValue(), 8);
                case FLOAT32 -> le(Float.floatToRawIntBits(((Number) v).floatValue()), 4);
                case FLOAT64 -> le(Double.doubleToRawLongBits(((Number) v).doubleValue()), 8);
                case BOOL -> le((Boolean) v ? 1 : 0, 1);
                case STRING -> string((String) v);
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
    }
}
