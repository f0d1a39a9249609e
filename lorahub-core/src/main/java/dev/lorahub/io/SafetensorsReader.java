package dev.lorahub.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * Reads a safetensors file: an 8-byte little-endian header length N, N bytes of UTF-8 JSON, then
 * the data buffer. The header is parsed and fully validated when the file is opened (see {@code
 * docs/safetensors.md} for every check); any violation is an {@link AdapterFormatException} naming
 * the file and the problem, raised before anything the file's length does not justify is allocated.
 * Offsets are 64-bit, so files over 2 GB work. {@link #readFloat32} and {@link #read} copy through
 * positional reads of at most {@link #CHUNK} bytes at a time; only {@link #rawBytes} views are
 * memory-mapped (files up to 2 GB once, bigger ones per request in pieces of at most 1 GiB). A
 * mapping's pages count in the process's resident memory until the JVM collects the buffer, which
 * may be never for a long run: reading 20 adapters of 18 MB through the mapping kept 370 MB
 * resident beyond their float arrays for the whole of a {@code learn} run.
 *
 * <p>Not thread-safe for {@link #close()} racing reads; reads may run concurrently.
 */
public final class SafetensorsReader implements TensorFile {
    /** Largest piece mapped at once for files over 2 GB; a multiple of every element size. */
    static final int PIECE = 1 << 30;

    /** Bytes read at once by {@link #readFloat32} and {@link #read}: a multiple of every size. */
    static final int CHUNK = 1 << 20;

    private final Path file;
    private final SafetensorsHeader header;
    private final Map<String, TensorInfo> byName;
    private final long fileLength;
    private final @Nullable ByteBuffer whole;
    private final @Nullable FileChannel channel;
    private final @Nullable Path openKey;
    private volatile boolean closed;

    private SafetensorsReader(
            Path file,
            SafetensorsHeader header,
            long fileLength,
            @Nullable ByteBuffer whole,
            @Nullable FileChannel channel,
            @Nullable Path openKey) {
        this.file = file;
        this.header = header;
        this.fileLength = fileLength;
        this.whole = whole;
        this.channel = channel;
        this.openKey = openKey;
        Map<String, TensorInfo> map = new LinkedHashMap<>();
        for (TensorInfo t : header.tensors()) {
            map.put(t.name(), t);
        }
        this.byName = Collections.unmodifiableMap(map);
    }

    /**
     * Opens and validates a file.
     *
     * @param file a {@code .safetensors} file
     * @return the reader (close it)
     * @throws AdapterFormatException when the file is not valid safetensors, or is a folder
     * @throws IOException when it cannot be read
     */
    public static SafetensorsReader open(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        if (Files.isDirectory(file)) {
            throw new AdapterFormatException(file, "is a folder, not a .safetensors file");
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long length = ch.size();
            ByteBuffer first8 = ByteBuffer.allocate(8);
            if (length >= 8) {
                readFully(ch, first8, 0);
            }
            long n = SafetensorsHeader.checkHeaderLength(file, first8, length);
            ByteBuffer json = ByteBuffer.allocate((int) n);
            readFully(ch, json, 8);
            json.flip();
            SafetensorsHeader header = SafetensorsHeader.parse(file, json, length);
            Path key = OpenFiles.key(file);
            SafetensorsReader reader;
            if (length <= Integer.MAX_VALUE) {
                // the channel stays open: float and copy reads go through it, not the mapping
                ByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, length);
                reader = new SafetensorsReader(file, header, length, mapped, ch, key);
            } else {
                reader = new SafetensorsReader(file, header, length, null, ch, key);
            }
            OpenFiles.add(key);
            return reader;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Validates a whole safetensors file held in memory, without touching the file system.
     *
     * @param bytes the file's bytes, from position to limit (not copied: do not modify them while
     *     the reader is in use)
     * @param nameForErrors the name used in error messages and returned by {@link #file()}
     * @return the reader; {@link #close()} is optional
     * @throws AdapterFormatException when the bytes are not valid safetensors
     */
    public static SafetensorsReader parse(ByteBuffer bytes, Path nameForErrors) {
        ByteBuffer buf = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        long length = buf.remaining();
        long n = SafetensorsHeader.checkHeaderLength(nameForErrors, buf, length);
        ByteBuffer json = buf.slice(8, (int) n);
        SafetensorsHeader header = SafetensorsHeader.parse(nameForErrors, json, length);
        return new SafetensorsReader(nameForErrors, header, length, buf, null, null);
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position)
            throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int read = ch.read(dst, pos);
            if (read < 0) {
                throw new EOFException("unexpected end of file at byte " + pos);
            }
            pos += read;
        }
    }

    /**
     * @return the file this reader reads (or the name given to {@link #parse})
     */
    @Override
    public Path file() {
        return file;
    }

    /**
     * @return the file's length in bytes
     */
    public long fileLength() {
        return fileLength;
    }

    /**
     * @return where the data buffer starts in the file: 8 + N
     */
    public long dataStart() {
        return header.dataStart();
    }

    /**
     * @return {@code __metadata__} in file order; empty when the header has none
     */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    @Override
    public WeightsFormat format() {
        return WeightsFormat.SAFETENSORS;
    }

    /** Always present: safetensors stores every tensor contiguous and little-endian. */
    @Override
    public OptionalLong contiguousOffset(String name) {
        return OptionalLong.of(header.dataStart() + require(name).begin());
    }

    @Override
    public List<TensorEntry> entries() {
        List<TensorEntry> out = new java.util.ArrayList<>();
        for (TensorInfo t : tensors()) {
            out.add(new TensorEntry(t.name(), t.dtype(), t.shape()));
        }
        return out;
    }

    @Override
    public Optional<TensorEntry> entry(String name) {
        return tensor(name).map(t -> new TensorEntry(t.name(), t.dtype(), t.shape()));
    }

    /**
     * @return every tensor's entry, in header order
     */
    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    /**
     * @param name a tensor's key
     * @return its entry, or empty when the file has no such tensor
     */
    public Optional<TensorInfo> tensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * Reads a float tensor as float32: F32 as is, F16 and BF16 exactly, F64 rounded to nearest.
     *
     * @param name a tensor's key
     * @return its {@code numel} elements in row-major order
     * @throws IllegalArgumentException when the tensor is absent, not a float type, or has more
     *     elements than a Java array holds (use {@link #readFloat32(String, long, float[], int,
     *     int)})
     */
    public float[] readFloat32(String name) throws IOException {
        TensorInfo t = floatTensor(name);
        if (t.numel() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(
                    file
                            + ": tensor '"
                            + name
                            + "' has "
                            + t.numel()
                            + " elements, more than a float[] holds; read it in ranges");
        }
        float[] out = new float[(int) t.numel()];
        readFloat32(name, 0, out, 0, out.length);
        return out;
    }

    /**
     * Reads elements {@code [from, from + count)} of a float tensor (flat row-major index) into
     * {@code dst[offset, offset + count)}, converting as {@link #readFloat32(String)} does.
     */
    public void readFloat32(String name, long from, float[] dst, int offset, int count)
            throws IOException {
        TensorInfo t = floatTensor(name);
        Objects.checkFromIndexSize(offset, count, dst.length);
        if (from < 0 || count > t.numel() - from) {
            throw new IndexOutOfBoundsException(
                    "tensor '"
                            + name
                            + "' has "
                            + t.numel()
                            + " elements, asked for ["
                            + from
                            + ", "
                            + from
                            + " + "
                            + count
                            + ")");
        }
        int size = t.dtype().byteSize();
        if (channel != null) {
            // no bigger than the range: a full CHUNK per small tensor is garbage that makes the
            // heap grow (20 flan-t5-large adapters: 5,760 tensors of 64 KB)
            ByteBuffer chunk =
                    ByteBuffer.allocate((int) Math.min(CHUNK, (long) count * size))
                            .order(ByteOrder.LITTLE_ENDIAN);
            int perChunk = CHUNK / size;
            int done = 0;
            while (done < count) {
                int n = Math.min(perChunk, count - done);
                FloatCodec.decode(
                        readAt(t.begin() + (from + done) * size, chunk, n * size),
                        t.dtype(),
                        dst,
                        offset + done,
                        n);
                done += n;
            }
            return;
        }
        int perPiece = PIECE / size;
        int done = 0;
        while (done < count) {
            int n = Math.min(perPiece, count - done);
            ByteBuffer piece = slice(t.begin() + (from + done) * size, n * size);
            FloatCodec.decode(piece, t.dtype(), dst, offset + done, n);
            done += n;
        }
    }

    /**
     * @param name a tensor's key
     * @return a read-only little-endian view of its bytes (valid while this reader is open)
     * @throws IllegalArgumentException when the tensor is absent or larger than 2 GB
     */
    public ByteBuffer rawBytes(String name) throws IOException {
        TensorInfo t = require(name);
        if (t.byteLength() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    file
                            + ": tensor '"
                            + name
                            + "' has "
                            + t.byteLength()
                            + " bytes, more than one ByteBuffer holds");
        }
        return slice(t.begin(), (int) t.byteLength());
    }

    /**
     * @param name a tensor's key
     * @return a copy of the tensor (type, shape and bytes), ready to be written
     */
    public TensorData read(String name) throws IOException {
        TensorInfo t = require(name);
        if (channel == null || t.byteLength() > Integer.MAX_VALUE) {
            ByteBuffer raw = rawBytes(name); // in memory, or refused as too big for one array
            byte[] copy = new byte[raw.remaining()];
            raw.get(copy);
            return TensorData.wrap(name, t.dtype(), t.shape(), copy);
        }
        byte[] copy = new byte[(int) t.byteLength()];
        for (int done = 0; done < copy.length; done += CHUNK) {
            readAt(
                    t.begin() + done,
                    ByteBuffer.wrap(copy, done, Math.min(CHUNK, copy.length - done)).slice(),
                    Math.min(CHUNK, copy.length - done));
        }
        return TensorData.wrap(name, t.dtype(), t.shape(), copy);
    }

    /**
     * Reads data bytes {@code [begin, begin + length)} (relative to the data buffer) into {@code
     * dst} from its start, through the channel.
     *
     * @return {@code dst}, flipped: positioned at 0 with {@code length} bytes remaining
     */
    private ByteBuffer readAt(long begin, ByteBuffer dst, int length) throws IOException {
        dst.clear().limit(length);
        readFully(Objects.requireNonNull(channel), dst, header.dataStart() + begin);
        return dst.flip();
    }

    /**
     * @return every tensor copied, in header order
     */
    public List<TensorData> readAll() throws IOException {
        TensorData[] out = new TensorData[header.tensors().size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = read(header.tensors().get(i).name());
        }
        return List.of(out);
    }

    private TensorInfo require(String name) {
        if (closed) {
            throw new IllegalStateException(file + " is closed");
        }
        TensorInfo t = byName.get(name);
        if (t == null) {
            throw new IllegalArgumentException(file + ": no tensor '" + name + "'");
        }
        return t;
    }

    private TensorInfo floatTensor(String name) {
        TensorInfo t = require(name);
        if (!t.dtype().isConvertibleToFloat32()) {
            throw new IllegalArgumentException(
                    file
                            + ": tensor '"
                            + name
                            + "' is "
                            + t.dtype()
                            + ", not a float type (F32, F16, BF16, F64); use rawBytes");
        }
        return t;
    }

    /**
     * @return data bytes {@code [begin, begin + length)}, relative to the data buffer
     */
    private ByteBuffer slice(long begin, int length) throws IOException {
        long start = header.dataStart() + begin;
        ByteBuffer view;
        if (whole != null) {
            view = whole.slice((int) start, length);
        } else {
            view =
                    Objects.requireNonNull(channel)
                            .map(FileChannel.MapMode.READ_ONLY, start, length);
        }
        return view.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Releases the file. Buffers from {@link #rawBytes} must not be used afterwards. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (openKey != null) {
            OpenFiles.remove(openKey);
        }
        if (channel != null) {
            channel.close();
        }
    }

    @Override
    public String toString() {
        return "SafetensorsReader[" + file + ", " + header.tensors().size() + " tensors]";
    }
}
