package dev.lorahub.io.gguf;

import dev.lorahub.io.AdapterFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF file (llama.cpp's format, versions 2 and 3, little-endian): metadata and tensor infos
 * parsed and validated when opened, tensor data read on demand.
 *
 * <p>Layout: {@code "GGUF"}, u32 version, u64 tensor count, u64 metadata count; metadata as
 * (string key, u32 type, value) with strings as u64 length + UTF-8 bytes and arrays as (u32
 * element type, u64 count, elements); tensor infos as (string name, u32 n_dims, u64 ne[n_dims], u32
 * ggml type, u64 offset); the data section starts at the next multiple of {@code
 * general.alignment} (a u32 power of two, default 32). {@code ne[0]} is the contiguous dimension,
 * so the row-major shape is {@code ne} reversed.
 *
 * <p>A file is refused, with an {@link AdapterFormatException} naming it and the key, tensor and
 * values involved, wherever ggml's {@code gguf_init_from_file} refuses it (bad magic, version 0, 1
 * or above 3, duplicate keys or tensor names, unknown value or ggml types, nested arrays, a
 * non-u32 or non-power-of-two alignment, more than 4 dimensions, negative dimensions or an element
 * count that overflows, a row length that is not a multiple of the type's block, tensor offsets
 * that are not exactly ggml's: in order, each aligned, no gap and no overlap), where llama.cpp's
 * loader does (a tensor past the end of the file), and wherever a count or length runs past the
 * end of the file. Nothing is allocated in proportion to a count or length the file's size does
 * not back.
 *
 * <p>Immutable and thread-safe; no file handle stays open (tensor data is memory-mapped per read).
 */
public final class GgufFile {
    /** The alignment of the data section when {@code general.alignment} is absent. */
    public static final int DEFAULT_ALIGNMENT = 32;

    /** ggml's GGML_MAX_NAME: tensor names are shorter than this many bytes. */
    public static final int MAX_NAME_BYTES = 64;

    /** Source of tensor bytes: a file mapped per read, or a buffer. */
    interface Source {
        ByteBuffer slice(long offset, int length) throws IOException;
    }

    private final Path file;
    private final Source source;
    private final int version;
    private final long alignment;
    private final long dataOffset;
    private final Map<String, Object> metadata;
    private final Map<String, GgufValueType> types;
    private final Map<String, GgufValueType> elemTypes;
    private final Map<String, GgufTensor> tensors;

    GgufFile(
            Path file,
            Source source,
            int version,
            long alignment,
            long dataOffset,
            Map<String, Object> metadata,
            Map<String, GgufValueType> types,
            Map<String, GgufValueType> elemTypes,
            Map<String, GgufTensor> tensors) {
        this.file = file;
        this.source = source;
        this.version = version;
        this.alignment = alignment;
        this.dataOffset = dataOffset;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.types = Collections.unmodifiableMap(types);
        this.elemTypes = Collections.unmodifiableMap(elemTypes);
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /**
     * Reads and validates the header; tensor data is read by {@link #readFloats} and {@link
     * #rawBytes}.
     *
     * @param file a {@code .gguf} file
     * @return the parsed file
     * @throws IOException if it cannot be read
     * @throws AdapterFormatException if it is not a valid GGUF file (see the class doc)
     */
    public static GgufFile open(Path file) throws IOException {
        long size;
        ByteBuffer head;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            size = ch.size();
            head = ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, Integer.MAX_VALUE));
        }
        Source source =
                (offset, length) -> {
                    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                        return ch.map(FileChannel.MapMode.READ_ONLY, offset, length)
                                .order(ByteOrder.LITTLE_ENDIAN);
                    }
                };
        return GgufParser.parse(file, head.order(ByteOrder.LITTLE_ENDIAN), size, source);
    }

    /**
     * Parses a whole GGUF file held in memory.
     *
     * @param bytes the file's bytes (from position 0 to the limit; not modified)
     * @param nameForErrors the name messages start with
     * @return the parsed file, reading its tensors from {@code bytes}
     * @throws AdapterFormatException if it is not a valid GGUF file
     */
    public static GgufFile parse(ByteBuffer bytes, Path nameForErrors) {
        ByteBuffer all = bytes.duplicate().position(0).slice().order(ByteOrder.LITTLE_ENDIAN);
        Source source =
                (offset, length) ->
                        all.slice(Math.toIntExact(offset), length).order(ByteOrder.LITTLE_ENDIAN);
        return GgufParser.parse(nameForErrors, all, all.limit(), source);
    }

    /**
     * @return the file (or the name given to {@link #parse})
     */
    public Path file() {
        return file;
    }

    /**
     * @return the GGUF version, 2 or 3
     */
    public int version() {
        return version;
    }

    /**
     * @return the alignment of the data section and of every tensor in it
     */
    public long alignment() {
        return alignment;
    }

    /**
     * @return the byte offset of the data section in the file
     */
    public long dataOffset() {
        return dataOffset;
    }

    /**
     * @return every metadata value by key, in file order (Java types: see {@link GgufValueType})
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /**
     * @param key a metadata key
     * @return its value type ({@link GgufValueType#ARRAY} for arrays), if present
     */
    public Optional<GgufValueType> valueType(String key) {
        return Optional.ofNullable(types.get(key));
    }

    /**
     * @param key a metadata key
     * @return the element type of its array, if it is an array
     */
    public Optional<GgufValueType> arrayType(String key) {
        return Optional.ofNullable(elemTypes.get(key));
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
     * @param name a tensor name
     * @return its stored bytes (a read-only little-endian view)
     * @throws AdapterFormatException if it is missing or larger than 2 GiB
     * @throws IOException if the file cannot be read
     */
    public ByteBuffer rawBytes(String name) throws IOException {
        GgufTensor t = require(name);
        if (t.byteLength() > Integer.MAX_VALUE) {
            throw new AdapterFormatException(
                    file,
                    "tensor '" + GgufParser.shown(name) + "' holds " + t.byteLength() + " bytes, over 2 GiB");
        }
        return source.slice(t.absoluteOffset(), (int) t.byteLength()).asReadOnlyBuffer()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Converts a tensor to float32 exactly as ggml's {@code to_float} does.
     *
     * @param name a tensor name, e.g. {@code blk.0.attn_q.weight}
     * @return its values, row-major over {@link GgufTensor#shape()}
     * @throws AdapterFormatException if it is missing, of a type that is not {@link
     *     GgmlType#isDecodable() decodable}, or has 2^31 elements or more
     * @throws IOException if the file cannot be read
     */
    public float[] readFloats(String name) throws IOException {
        GgufTensor t = require(name);
        if (!t.type().isDecodable()) {
            throw new AdapterFormatException(
                    file,
                    "tensor '"
                            + GgufParser.shown(name)
                            + "' is of ggml type "
                            + t.type()
                            + " ("
                            + t.type().id()
                            + "), which lorahub does not convert; supported: "
                            + GgmlType.decodableNames());
        }
        if (t.numel() > Integer.MAX_VALUE - 8) {
            throw new AdapterFormatException(
                    file,
                    "tensor '" + GgufParser.shown(name) + "' has " + t.numel() + " elements, over a Java array's");
        }
        float[] out = new float[(int) t.numel()];
        Dequantize.decode(t.type(), rawBytes(name), 0, out, 0, out.length);
        return out;
    }

    private GgufTensor require(String name) {
        GgufTensor t = tensors.get(name);
        if (t == null) {
            throw new AdapterFormatException(file, "missing tensor '" + GgufParser.shown(name) + "'");
        }
        return t;
    }

    /**
     * @param key a metadata key
     * @return its value as a list, if it is an array
     */
    public Optional<List<?>> array(String key) {
        return metadata.get(key) instanceof List<?> l ? Optional.of(l) : Optional.empty();
    }
}
