package dev.lorahub.djl.gguf;

import dev.lorahub.djl.ModelFormatException;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF file (llama.cpp's format, versions 2 and 3, little-endian): metadata and tensors, read
 * through a read-only memory map.
 *
 * <p>Layout: {@code "GGUF"}, u32 version, u64 tensor count, u64 metadata count; metadata as (string
 * key, u32 type, value) with strings as u64 length + UTF-8 bytes and arrays as (u32 element type,
 * u64 count, elements); tensor infos as (string name, u32 n_dims, u64 ne[n_dims], u32 ggml type,
 * u64 offset); the data section starts at the next multiple of {@code general.alignment} (default
 * 32). {@code ne[0]} is the contiguous dimension, so the row-major shape is {@code ne} reversed.
 * Metadata values are Java {@link Long} (all integers), {@link Double} (floats), {@link Boolean},
 * {@link String} or {@link List} of those. Tensors of type F32, F16, BF16, Q4_0, Q4_1 and Q8_0 are
 * converted to float32; others are refused naming the tensor.
 */
public final class GgufFile {
    private final Path file;
    private final ByteBuffer data;
    private final Map<String, Object> metadata;
    private final Map<String, GgufTensor> tensors;

    private GgufFile(
            Path file, ByteBuffer data, Map<String, Object> metadata, Map<String, GgufTensor> t) {
        this.file = file;
        this.data = data;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = Collections.unmodifiableMap(t);
    }

    /**
     * Reads and validates the header; tensor data stays mapped.
     *
     * @param file a {@code .gguf} file
     * @return the parsed file
     * @throws IOException if it cannot be read
     * @throws ModelFormatException if it is not GGUF, truncated, or a tensor lies outside the file
     */
    public static GgufFile open(Path file) throws IOException {
        MappedByteBuffer map;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
        }
        ByteBuffer b = map.order(ByteOrder.LITTLE_ENDIAN);
        try {
            byte[] magic = new byte[4];
            b.get(magic);
            if (!Arrays.equals(magic, "GGUF".getBytes(StandardCharsets.US_ASCII))) {
                throw new ModelFormatException(
                        file, "not a GGUF file (magic " + Arrays.toString(magic) + ")");
            }
            int version = b.getInt();
            if (version != 2 && version != 3) {
                throw new ModelFormatException(
                        file, "GGUF version " + version + " not supported (2 or 3)");
            }
            long nTensors = b.getLong();
            long nKv = b.getLong();
            if (nTensors < 0 || nKv < 0 || nTensors > 1_000_000 || nKv > 1_000_000) {
                throw new ModelFormatException(
                        file,
                        "implausible counts: " + nTensors + " tensors, " + nKv + " metadata keys");
            }
            Map<String, Object> meta = new LinkedHashMap<>();
            for (long i = 0; i < nKv; i++) {
                String key = string(b, file);
                meta.put(key, value(b, b.getInt(), file, key));
            }
            List<Object[]> infos = new ArrayList<>();
            for (long i = 0; i < nTensors; i++) {
                String name = string(b, file);
                int nDims = b.getInt();
                if (nDims < 1 || nDims > 4) {
                    throw new ModelFormatException(
                            file, "tensor '" + name + "' has " + nDims + " dimensions");
                }
                long[] ne = new long[nDims];
                for (int d = 0; d < nDims; d++) {
                    ne[d] = b.getLong();
                }
                infos.add(new Object[] {name, ne, b.getInt(), b.getLong()});
            }
            long alignment = meta.get("general.alignment") instanceof Long a ? a : 32;
            long start = (b.position() + alignment - 1) / alignment * alignment;
            Map<String, GgufTensor> tensors = new LinkedHashMap<>();
            for (Object[] info : infos) {
                String name = (String) info[0];
                long[] ne = (long[]) info[1];
                GgmlType type = GgmlType.of((int) info[2], file, name);
                long offset = (long) info[3];
                GgufTensor t = new GgufTensor(name, type, ne, start + offset);
                long end = t.absoluteOffset() + t.byteLength();
                if (offset < 0 || end > b.capacity()) {
                    throw new ModelFormatException(
                            file,
                            "tensor '"
                                    + name
                                    + "' bytes ["
                                    + t.absoluteOffset()
                                    + ", "
                                    + end
                                    + ") lie past the end of the file ("
                                    + b.capacity()
                                    + " bytes): truncated");
                }
                tensors.put(name, t);
            }
            return new GgufFile(file, b, meta, tensors);
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new ModelFormatException(file, "truncated GGUF header", e);
        }
    }

    private static String string(ByteBuffer b, Path file) {
        long len = b.getLong();
        if (len < 0 || len > b.remaining()) {
            throw new ModelFormatException(
                    file, "string length " + len + " past the end of the file (truncated)");
        }
        byte[] s = new byte[(int) len];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static Object value(ByteBuffer b, int type, Path file, String key) {
        switch (type) {
            case 0:
                return (long) (b.get() & 0xff);
            case 1:
                return (long) b.get();
            case 2:
                return (long) (b.getShort() & 0xffff);
            case 3:
                return (long) b.getShort();
            case 4:
                return b.getInt() & 0xffffffffL;
            case 5:
                return (long) b.getInt();
            case 6:
                return (double) b.getFloat();
            case 7:
                return b.get() != 0;
            case 8:
                return string(b, file);
            case 9:
                {
                    int elem = b.getInt();
                    long n = b.getLong();
                    if (n < 0 || n > b.remaining()) {
                        throw new ModelFormatException(
                                file,
                                "metadata '"
                                        + key
                                        + "': array of "
                                        + n
                                        + " elements past the end of the file (truncated)");
                    }
                    List<Object> list = new ArrayList<>((int) n);
                    for (long i = 0; i < n; i++) {
                        list.add(value(b, elem, file, key));
                    }
                    return Collections.unmodifiableList(list);
                }
            case 10:
                return b.getLong();
            case 11:
                return b.getLong();
            case 12:
                return b.getDouble();
            default:
                throw new ModelFormatException(
                        file, "metadata '" + key + "': unknown value type " + type);
        }
    }

    /**
     * @return the file
     */
    public Path file() {
        return file;
    }

    /**
     * @return every metadata value by key, in file order
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /**
     * @return tensors by name, in file order
     */
    public Map<String, GgufTensor> tensors() {
        return tensors;
    }

    /**
     * @param name a tensor name
     * @return the tensor, if present
     */
    public Optional<GgufTensor> tensor(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /**
     * @param name a tensor name, e.g. {@code blk.0.attn_q.weight}
     * @return its values as float32, row-major over {@link GgufTensor#shape()}
     * @throws ModelFormatException if it is missing
     */
    public float[] readFloats(String name) {
        GgufTensor t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(file, "missing tensor '" + name + "'");
        }
        ByteBuffer slice =
                data.slice(Math.toIntExact(t.absoluteOffset()), Math.toIntExact(t.byteLength()))
                        .order(ByteOrder.LITTLE_ENDIAN);
        return t.type().decode(slice, Math.toIntExact(t.numel()));
    }
}
