package dev.lorahub.djl.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.io.DType;
import dev.lorahub.io.FileFormatException;
import dev.lorahub.io.FloatCodec;
import dev.lorahub.io.TensorEntry;
import dev.lorahub.io.TensorFile;
import dev.lorahub.model.WeightDtype;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The weights of a Hugging Face model folder, looked for in transformers' order: {@code
 * model.safetensors}, the shards named by {@code model.safetensors.index.json} ({@code
 * {"weight_map": {tensor: file}}}), {@code pytorch_model.bin}, the shards named by {@code
 * pytorch_model.bin.index.json}.
 *
 * <p>Files are opened and validated by the core {@link TensorFile} readers (safetensors; PyTorch
 * pickles through the restricted unpickler of {@link dev.lorahub.io.PytorchReader}, which runs
 * nothing from the file). {@link #load} streams each tensor's bytes with positional reads through
 * a 16 MiB staging buffer straight into libtorch memory, converting F16, BF16 and F64 to float32
 * on the way (BF16 never becomes an NDArray of its own type: a BF16 NDArray aborts the JVM in DJL
 * 0.36), or, for a model kept in {@link WeightDtype#F16}, into float16 (F16 bytes copied as they
 * are, other types rounded). So loading costs the weights once, plus the staging buffer: no Java copy,
 * no second native copy, and no memory-mapped pages counted in the process's resident memory. The
 * one exception is a pickled tensor that is a strided view of its storage, or a big-endian pickle
 * ({@link TensorFile#contiguousOffset} empty): it is gathered into a Java array first. Not
 * thread-safe. Failures name the file and the tensor ({@link ModelFormatException}). Closing the
 * checkpoint closes the readers; NDArrays already loaded belong to their manager.
 */
public final class Checkpoint implements AutoCloseable {
    /** The single-file weights name. */
    public static final String SINGLE = "model.safetensors";

    /** The shard index name. */
    public static final String INDEX = "model.safetensors.index.json";

    /** The single-file PyTorch pickle weights name. */
    public static final String PICKLE_SINGLE = "pytorch_model.bin";

    /** The PyTorch pickle shard index name. */
    public static final String PICKLE_INDEX = "pytorch_model.bin.index.json";

    /** Weights files in the order transformers looks for them. */
    private static final List<String> CANDIDATES =
            List.of(SINGLE, INDEX, PICKLE_SINGLE, PICKLE_INDEX);

    private final Path directory;
    /** The weights file or shard index the checkpoint was opened from. */
    private final Path source;
    private final List<TensorFile> readers;
    private final Map<String, TensorFile> byName;
    private final Map<Path, FileChannel> channels = new LinkedHashMap<>();
    /** Bytes of float32 values staged per copy into native memory (16 MiB). */
    static final int STAGING_BYTES = 16 << 20;

    /**
     * The staging buffers, one pair per process, allocated on first use and freed ({@link
     * DirectMemory#free}) when the last open checkpoint closes: a direct buffer per checkpoint left
     * to the GC grew the resident set by 1,010 MB over 300 loads of a small model (MemoryFlatTest),
     * and buffers kept for the whole process held 32 MB beside a big model's weights. {@link #fill}
     * holds {@link #STAGING_LOCK} for one tensor, so loads in several threads take turns per tensor.
     */
    private static final Object STAGING_LOCK = new Object();

    private static final NDIndex ALL = new NDIndex(":");

    private static @Nullable ByteBuffer staging;
    private static @Nullable ByteBuffer rawStaging;
    private static int openCheckpoints; // guarded by STAGING_LOCK

    private boolean closed;

    private int stagingBytes = STAGING_BYTES;

    private Checkpoint(
            Path directory,
            Path source,
            List<TensorFile> readers,
            Map<String, TensorFile> map) {
        this.directory = directory;
        this.source = source;
        this.readers = readers;
        this.byName = Collections.unmodifiableMap(map);
        synchronized (STAGING_LOCK) {
            openCheckpoints++;
        }
    }

    /**
     * @param dir a model folder
     * @return true when it holds one of the weights files or shard indexes
     */
    public static boolean isCheckpoint(Path dir) {
        return CANDIDATES.stream().anyMatch(c -> Files.isRegularFile(dir.resolve(c)));
    }

    /**
     * Opens the weights of a model folder (safetensors before pickles, a single file before an
     * index, as transformers does).
     *
     * @param dir the folder
     * @return the open checkpoint
     * @throws IOException if a file cannot be read
     * @throws ModelFormatException if there are no weights, the index is malformed or names a
     *     missing shard, a file is not valid in its format, or a tensor appears in two shards
     */
    public static Checkpoint open(Path dir) throws IOException {
        List<TensorFile> readers = new ArrayList<>();
        Map<String, TensorFile> map = new LinkedHashMap<>();
        try {
            String found =
                    CANDIDATES.stream()
                            .filter(c -> Files.isRegularFile(dir.resolve(c)))
                            .findFirst()
                            .orElseThrow(
                                    () ->
                                            new ModelFormatException(
                                                    dir, "no weights: none of " + CANDIDATES));
            if (found.endsWith(".json")) {
                openShards(dir, dir.resolve(found), readers, map);
            } else {
                TensorFile r = openShard(dir.resolve(found));
                readers.add(r);
                for (TensorEntry t : r.entries()) {
                    map.put(t.name(), r);
                }
            }
            return new Checkpoint(dir, dir.resolve(found), readers, map);
        } catch (IOException | RuntimeException e) {
            closeAll(readers, e);
            throw e;
        }
    }

    private static void openShards(
            Path dir, Path index, List<TensorFile> readers, Map<String, TensorFile> map)
            throws IOException {
        JsonNode weightMap = ConfigJson.read(index).get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new ModelFormatException(index, "no \"weight_map\" object");
        }
        Map<String, TensorFile> shards = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shardName = e.getValue().asText();
            Path shard = dir.resolve(shardName).normalize();
            if (!shard.startsWith(dir.normalize()) || !Files.isRegularFile(shard)) {
                throw new ModelFormatException(
                        index,
                        "tensor '" + e.getKey() + "' maps to missing shard '" + shardName + "'");
            }
            TensorFile r = shards.get(shardName);
            if (r == null) {
                r = openShard(shard);
                readers.add(r);
                shards.put(shardName, r);
            }
            if (r.entry(e.getKey()).isEmpty()) {
                throw new ModelFormatException(
                        shard,
                        "tensor '"
                                + e.getKey()
                                + "' listed in "
                                + index.getFileName()
                                + " is absent");
            }
            map.put(e.getKey(), r);
        }
    }

    private static TensorFile openShard(Path file) throws IOException {
        try {
            return TensorFile.open(file);
        } catch (FileFormatException e) {
            if (e instanceof ModelFormatException) {
                throw e;
            }
            throw new ModelFormatException(file, e.problem(), e);
        }
    }

    /**
     * @return the model folder
     */
    public Path directory() {
        return directory;
    }

    /**
     * @return every tensor name, in file order
     */
    public Set<String> names() {
        return byName.keySet();
    }

    /**
     * @param name a tensor name, e.g. {@code model.layers.0.self_attn.q_proj.weight}
     * @return true if the checkpoint holds it
     */
    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /**
     * @param name a tensor name
     * @return the file that holds it
     * @throws ModelFormatException if it is missing
     */
    public Path fileOf(String name) {
        return reader(name).file();
    }

    /**
     * @param name a tensor name
     * @return its shape, row-major
     * @throws ModelFormatException if it is missing
     */
    public long[] shape(String name) {
        return reader(name).entry(name).orElseThrow().shape();
    }

    /**
     * @param name a tensor name
     * @return its values converted to float32 (from F32, F16, BF16 or F64), row-major
     * @throws IOException if reading fails
     * @throws ModelFormatException if it is missing or of another type
     */
    public float[] readFloats(String name) throws IOException {
        TensorFile r = reader(name);
        TensorEntry info = r.entry(name).orElseThrow();
        if (!info.dtype().isConvertibleToFloat32()) {
            throw new ModelFormatException(
                    r.file(),
                    "tensor '" + name + "' is " + info.dtype() + ", expected a float type");
        }
        return r.readFloat32(name);
    }

    /**
     * @param name a tensor name
     * @param manager the manager that will own the array
     * @return a float32 NDArray of the tensor's shape
     * @throws IOException if reading fails
     * @throws ModelFormatException if it is missing or not a float type
     */
    public NDArray load(String name, NDManager manager) throws IOException {
        return load(name, manager, DataType.FLOAT32);
    }

    /**
     * @param name a tensor name
     * @param manager the manager that will own the array
     * @param type {@link DataType#FLOAT32}, or {@link DataType#FLOAT16} to keep the tensor in 16
     *     bits: an F16 tensor is copied as is, others are rounded to the nearest float16
     * @return an NDArray of the tensor's shape and {@code type}
     * @throws IOException if reading fails
     * @throws ModelFormatException if it is missing or not a float type, or, for float16, holds a
     *     finite value beyond float16's range (naming the value and its position)
     */
    public NDArray load(String name, NDManager manager, DataType type) throws IOException {
        if (type != DataType.FLOAT32 && type != DataType.FLOAT16) {
            throw new IllegalArgumentException("load as float32 or float16, not " + type);
        }
        TensorFile r = reader(name);
        TensorEntry info = r.entry(name).orElseThrow();
        if (!info.dtype().isConvertibleToFloat32()) {
            throw new ModelFormatException(
                    r.file(),
                    "tensor '" + name + "' is " + info.dtype() + ", expected a float type");
        }
        NDArray out = manager.create(new Shape(info.shape()), type);
        try {
            if (info.numel() > 0) {
                OptionalLong start = r.contiguousOffset(name);
                if (start.isPresent()) {
                    fill(r, info, start.getAsLong(), out);
                } else if (type == DataType.FLOAT32) {
                    // a strided view of a pickle's storage: gathered in Java, then copied once
                    out.set(r.readFloat32(name));
                } else {
                    float[] values = r.readFloat32(name);
                    WeightOps.requireHalfRange(FloatBuffer.wrap(values), values.length, 0, r.file(), name);
                    try (NDArray wide = manager.create(values, new Shape(info.shape()))) {
                        out.set(ALL, wide);
                    }
                }
            }
            return out;
        } catch (IOException | RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * Streams a tensor's bytes into {@code out} (libtorch memory) through one reused staging
     * buffer: positional reads, never the memory map, so the file's pages are not counted in
     * this process's resident memory, and no Java array of the tensor is made. Extra memory is two
     * {@link #STAGING_BYTES} buffers per process, whatever the model's size and however many
     * models are loaded.
     *
     * @param start the file offset of the tensor's first element ({@link
     *     TensorFile#contiguousOffset})
     */
    private void fill(TensorFile r, TensorEntry info, long start, NDArray out)
            throws IOException {
        synchronized (STAGING_LOCK) {
            fillStaged(r, info, start, out);
        }
    }

    private void fillStaged(TensorFile r, TensorEntry info, long start, NDArray out)
            throws IOException {
        NDManager m = out.getManager();
        int size = info.dtype().byteSize();
        boolean little = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        boolean half = out.getDataType() == DataType.FLOAT16;
        // bytes that libtorch can take as they are: F32 into float32, F16 into float16
        boolean direct = little && info.dtype() == (half ? DType.F16 : DType.F32);
        FileChannel ch = channel(r.file());
        try (NDArray flat = out.reshape(info.numel())) {
            long done = 0;
            while (done < info.numel()) {
                // the raw bytes of an F64 chunk take twice the floats' room
                int n = (int) Math.min(stagingBytes / Math.max(Float.BYTES, size), info.numel() - done);
                NDArray chunk;
                if (direct) {
                    ByteBuffer bytes = staging().clear().limit(n * size);
                    readFully(ch, bytes, start + done * size, r.file());
                    chunk = m.create(bytes.position(0).slice(), new Shape(n), out.getDataType());
                } else {
                    ByteBuffer floats = staging().clear().limit(n * Float.BYTES);
                    if (little && info.dtype() == DType.F32) {
                        readFully(ch, floats, start + done * size, r.file());
                    } else {
                        ByteBuffer raw = rawStaging().clear().limit(n * size);
                        readFully(ch, raw, start + done * size, r.file());
                        raw.flip();
                        FloatCodec.decode(
                                raw,
                                info.dtype(),
                                floats.order(ByteOrder.nativeOrder()).asFloatBuffer(),
                                n);
                    }
                    if (half) {
                        WeightOps.requireHalfRange(
                                floats.duplicate()
                                        .position(0)
                                        .order(ByteOrder.nativeOrder())
                                        .asFloatBuffer(),
                                n,
                                done,
                                r.file(),
                                info.name());
                    }
                    // libtorch's copy into a float16 array rounds to nearest, ties to even
                    chunk = m.create(floats.position(0).slice(), new Shape(n), DataType.FLOAT32);
                }
                try (chunk) {
                    flat.set(new NDIndex("{}:{}", done, done + n), chunk);
                }
                done += n;
            }
        }
    }

    /** Tests: a smaller staging buffer, so small tensors cross chunk boundaries. */
    Checkpoint stagingBytes(int bytes) {
        if (bytes < Double.BYTES || bytes % Double.BYTES != 0 || bytes > STAGING_BYTES) {
            throw new IllegalArgumentException(
                    "staging bytes " + bytes + ": a multiple of 8, at most " + STAGING_BYTES);
        }
        this.stagingBytes = bytes;
        return this;
    }

    /** Frees both staging buffers; callers hold {@link #STAGING_LOCK}. */
    private static void freeStaging() {
        if (staging != null) {
            DirectMemory.free(staging);
            staging = null;
        }
        if (rawStaging != null) {
            DirectMemory.free(rawStaging);
            rawStaging = null;
        }
    }

    /** The shared float32 staging buffer; callers hold {@link #STAGING_LOCK}. */
    private static ByteBuffer staging() {
        if (staging == null) {
            staging = ByteBuffer.allocateDirect(STAGING_BYTES).order(ByteOrder.nativeOrder());
        }
        return staging;
    }

    /**
     * The shared raw-bytes staging buffer for non-F32 tensors; direct, so channel reads need no
     * temporary buffer of the JDK's. Callers hold {@link #STAGING_LOCK}.
     */
    private static ByteBuffer rawStaging() {
        if (rawStaging == null) {
            rawStaging = ByteBuffer.allocateDirect(STAGING_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        }
        return rawStaging;
    }

    private FileChannel channel(Path file) throws IOException {
        FileChannel ch = channels.get(file);
        if (ch == null) {
            ch = FileChannel.open(file, StandardOpenOption.READ);
            channels.put(file, ch);
        }
        return ch;
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position, Path file)
            throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int read = ch.read(dst, pos);
            if (read < 0) {
                throw new ModelFormatException(file, "data truncated at byte " + pos);
            }
            pos += read;
        }
    }

    /**
     * @param name a tensor name
     * @param expected the shape the model needs
     * @param manager the manager that will own the array
     * @return a float32 NDArray of that shape
     * @throws IOException if reading fails
     * @throws ModelFormatException if it is missing, of another shape or not a float type
     */
    public NDArray load(String name, long[] expected, NDManager manager) throws IOException {
        return load(name, expected, manager, WeightDtype.F32);
    }

    /**
     * Loads a weight for a model kept in {@code dtype}: matrices (rank 2 and more: linear weights,
     * embeddings) in that type, vectors (norms, biases) always in float32.
     *
     * @param name a tensor name
     * @param expected the shape the model needs
     * @param manager the manager that will own the array
     * @param dtype how the model keeps its weight matrices
     * @return an NDArray of that shape
     * @throws IOException if reading fails
     * @throws ModelFormatException if it is missing, of another shape or not a float type, or
     *     beyond float16's range for {@link WeightDtype#F16}
     */
    public NDArray load(String name, long[] expected, NDManager manager, WeightDtype dtype)
            throws IOException {
        long[] actual = shape(name);
        if (!Arrays.equals(actual, expected)) {
            throw new ModelFormatException(
                    fileOf(name),
                    "tensor '"
                            + name
                            + "' is "
                            + Arrays.toString(actual)
                            + ", expected "
                            + Arrays.toString(expected));
        }
        boolean half = dtype == WeightDtype.F16 && expected.length >= 2;
        return load(name, manager, half ? DataType.FLOAT16 : DataType.FLOAT32);
    }

    private TensorFile reader(String name) {
        TensorFile r = byName.get(name);
        if (r == null) {
            throw new ModelFormatException(source, "missing tensor '" + name + "'");
        }
        return r;
    }

    /**
     * Closes the underlying readers.
     *
     * @throws IOException if a reader fails to close (the others are closed anyway)
     */
    @Override
    public void close() throws IOException {
        synchronized (STAGING_LOCK) {
            if (!closed) {
                closed = true;
                if (--openCheckpoints == 0) {
                    freeStaging();
                }
            }
        }
        IOException first = closeAll(readers, null);
        for (FileChannel ch : channels.values()) {
            try {
                ch.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        channels.clear();
        if (first != null) {
            throw first;
        }
    }

    private static IOException closeAll(List<TensorFile> readers, Throwable primary) {
        IOException first = null;
        for (TensorFile r : readers) {
            try {
                r.close();
            } catch (IOException e) {
                if (primary != null) {
                    primary.addSuppressed(e);
                } else if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        return first;
    }
}
