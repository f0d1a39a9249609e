package dev.lorahub.io;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads PyTorch checkpoints ({@code pytorch_model.bin}, {@code adapter_model.bin}) without Python
 * and without running anything from the file: the state dict is unpickled by {@link
 * TorchUnpickler}, a pickle machine restricted to what {@code torch.load(weights_only=True)}
 * accepts, and tensors are read from their storages on request.
 *
 * <ul>
 *   <li>Zip format (torch &gt;= 1.6): {@code <folder>/data.pkl}, {@code <folder>/data/<key>} per
 *       storage, {@code version}, optional {@code byteorder} ({@code little}/{@code big}) and
 *       {@code .data/serialization_id}. TorchScript archives ({@code constants.pkl}) are refused.
 *   <li>Legacy format (torch &lt; 1.6): the pickles magic number, protocol 1001, sys_info, the
 *       state dict and its storage keys, then per key an int64 element count and the raw bytes.
 * </ul>
 *
 * <p>The file must hold a dict (or OrderedDict) of tensors; each tensor is a view of a storage:
 * storage offset, size and stride (in elements). Several tensors may share one storage (tied
 * weights, views); strides need not be contiguous (a transposed view is gathered). A view that
 * reaches past its storage, or has more elements than its storage (stride 0 expansions), a storage
 * record whose size is not its declared element count, a storage with no record, and anything the
 * unpickler refuses, is an {@link AdapterFormatException} starting with the file. Nothing is
 * allocated from a size the file claims before it is checked against the bytes present.
 *
 * <p>Not thread-safe for concurrent reads of one instance.
 */
public final class PytorchReader implements TensorFile {
    private static final BigInteger MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final int PIECE = 1 << 24;

    private final Path file;
    private final FileChannel channel;
    private final WeightsFormat format;
    private final ByteOrder order;
    private final Map<String, Py.Tensor> tensors;
    private final List<TensorEntry> entries;
    private final Map<String, TensorEntry> byName;

    private PytorchReader(
            Path file,
            FileChannel channel,
            WeightsFormat format,
            ByteOrder order,
            Map<String, Py.Tensor> tensors) {
        this.file = file;
        this.channel = channel;
        this.format = format;
        this.order = order;
        this.tensors = tensors;
        List<TensorEntry> list = new ArrayList<>();
        Map<String, TensorEntry> map = new HashMap<>();
        for (Map.Entry<String, Py.Tensor> e : tensors.entrySet()) {
            TensorEntry t = new TensorEntry(e.getKey(), e.getValue().dtype, e.getValue().size);
            list.add(t);
            map.put(t.name(), t);
        }
        this.entries = Collections.unmodifiableList(list);
        this.byName = map;
    }

    /**
     * Opens and validates a PyTorch checkpoint: the whole pickle is run (restricted) and every
     * tensor view checked against its storage before this returns.
     *
     * @param file a {@code .bin} / {@code .pt} file
     * @return the open reader
     * @throws AdapterFormatException if the file is refused (message: the file, then the forbidden
     *     global, opcode or record, or what is malformed)
     * @throws IOException if it cannot be read
     */
    public static PytorchReader open(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new AdapterFormatException(file, "is a folder, not a PyTorch checkpoint");
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            PytorchReader r = TorchZip.isZip(ch) ? openZip(file, ch) : openLegacy(file, ch);
            return r;
        } catch (TorchUnpickler.Refusal | TorchZip.Malformed e) {
            ch.close();
            throw new AdapterFormatException(file, e.getMessage());
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static PytorchReader openZip(Path file, FileChannel ch) throws IOException {
        Map<String, TorchZip.Entry> records = TorchZip.read(ch);
        if (records.isEmpty()) {
            throw new AdapterFormatException(file, "zip archive has no records");
        }
        String first = records.keySet().iterator().next();
        int slash = first.indexOf('/');
        if (slash <= 0) {
            throw new AdapterFormatException(
                    file, "zip record '" + first + "' is not inside a folder, as torch writes them");
        }
        String prefix = first.substring(0, slash + 1);
        for (String name : records.keySet()) {
            if (!name.startsWith(prefix)) {
                throw new AdapterFormatException(
                        file, "zip record '" + name + "' is outside the folder '" + prefix + "'");
            }
        }
        if (records.containsKey(prefix + "constants.pkl")) {
            throw new AdapterFormatException(
                    file,
                    "is a TorchScript archive (constants.pkl), not a state dict; torch.load("
                            + "weights_only=True) refuses it too");
        }
        TorchZip.Entry pkl = records.get(prefix + "data.pkl");
        if (pkl == null) {
            throw new AdapterFormatException(
                    file, "zip archive has no record '" + prefix + "data.pkl'");
        }
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        TorchZip.Entry bo = records.get(prefix + "byteorder");
        if (bo != null) {
            String v =
                    bo.size() <= 16
                            ? new String(
                                    TorchZip.read(ch, bo.offset(), (int) bo.size()).array(),
                                    java.nio.charset.StandardCharsets.US_ASCII)
                            : "(" + bo.size() + " bytes)";
            if (v.equals("big")) {
                order = ByteOrder.BIG_ENDIAN;
            } else if (!v.equals("little")) {
                throw new AdapterFormatException(
                        file, "record 'byteorder' is '" + v + "', expected 'little' or 'big'");
            }
        }
        Map<String, Py.Storage> storages = new LinkedHashMap<>();
        Object result =
                unpickle(file, new PickleInput(ch, pkl.offset(), pkl.offset() + pkl.size()), storages, false, "data.pkl");
        for (Py.Storage s : storages.values()) {
            String name = prefix + "data/" + s.key;
            TorchZip.Entry rec = records.get(name);
            if (rec == null) {
                throw new AdapterFormatException(
                        file,
                        "data.pkl refers to storage '"
                                + s.key
                                + "' ("
                                + s.typeName
                                + ") but the archive has no record '"
                                + name
                                + "'");
            }
            if (rec.size() != s.nbytes) {
                throw new AdapterFormatException(
                        file,
                        "record '"
                                + name
                                + "' holds "
                                + rec.size()
                                + " bytes but data.pkl declares "
                                + s.nbytes / s.dtype.byteSize()
                                + " elements of "
                                + s.dtype
                                + " ("
                                + s.nbytes
                                + " bytes)");
            }
            s.dataOffset = rec.offset();
        }
        return new PytorchReader(file, ch, WeightsFormat.PYTORCH_ZIP, order, tensors(file, result, "data.pkl"));
    }

    private static PytorchReader openLegacy(Path file, FileChannel ch) throws IOException {
        long length = ch.size();
        if (length < 2 || TorchZip.read(ch, 0, 1).get(0) != (byte) 0x80) {
            throw new AdapterFormatException(
                    file,
                    "is neither a zip archive (torch >= 1.6) nor a pickle (legacy torch.save): it"
                            + " does not start with 'PK' or 0x80");
        }
        PickleInput in = new PickleInput(ch, 0, length);
        Map<String, Py.Storage> storages = new LinkedHashMap<>();
        Object magic = unpickle(file, in, storages, true, "magic number");
        if (!(magic instanceof BigInteger m) || !m.equals(MAGIC)) {
            throw new AdapterFormatException(
                    file,
                    "legacy format: magic number is "
                            + Py.describe(magic)
                            + ", expected 0x1950a86a20f9469cfc6c");
        }
        Object protocol = unpickle(file, in, storages, true, "protocol version");
        if (!Long.valueOf(1001).equals(protocol)) {
            throw new AdapterFormatException(
                    file, "legacy format: protocol version is " + Py.describe(protocol) + ", expected 1001");
        }
        Object sysInfo = unpickle(file, in, storages, true, "sys_info");
        if (sysInfo instanceof Py.Dict d && Boolean.FALSE.equals(d.map.get("little_endian"))) {
            throw new AdapterFormatException(
                    file, "legacy format: written on a big-endian machine, which is not supported");
        }
        if (!storages.isEmpty()) {
            throw new AdapterFormatException(file, "legacy format: storages before the state dict");
        }
        Object result = unpickle(file, in, storages, true, "state dict pickle");
        Object keys = unpickle(file, in, new HashMap<>(), true, "storage keys pickle");
        if (!(keys instanceof Py.PyList keyList)) {
            throw new AdapterFormatException(
                    file, "legacy format: storage keys are " + Py.describe(keys) + ", expected a list");
        }
        long pos = in.position();
        for (Object k : keyList.items) {
            Py.Storage s = k instanceof String key ? storages.get(key) : null;
            if (s == null || s.root != null || s.dataOffset >= 0) {
                throw new AdapterFormatException(
                        file,
                        "legacy format: storage key "
                                + Py.describe(k)
                                + (s == null
                                        ? " was never referenced by the state dict"
                                        : " is a view or listed twice"));
            }
            if (length - pos < 8) {
                throw new AdapterFormatException(
                        file, "legacy format: data of storage '" + s.key + "' truncated at byte " + pos);
            }
            long count = TorchZip.read(ch, pos, 8).getLong(0);
            long esize = s.dtype.byteSize();
            if (count != s.nbytes / esize) {
                throw new AdapterFormatException(
                        file,
                        "legacy format: storage '"
                                + s.key
                                + "' holds "
                                + count
                                + " elements at byte "
                                + pos
                                + " but the state dict declares "
                                + s.nbytes / esize);
            }
            if (s.nbytes > length - pos - 8) {
                throw new AdapterFormatException(
                        file,
                        "legacy format: storage '"
                                + s.key
                                + "' ("
                                + s.nbytes
                                + " bytes at byte "
                                + (pos + 8)
                                + ") runs past the end of the file ("
                                + length
                                + " bytes)");
            }
            s.dataOffset = pos + 8;
            pos += 8 + s.nbytes;
        }
        for (Py.Storage s : storages.values()) {
            Py.Storage root = s.root == null ? s : s.root;
            if (root.dataOffset < 0) {
                throw new AdapterFormatException(
                        file,
                        "legacy format: storage '"
                                + root.key
                                + "' is used by the state dict but not in the storage keys");
            }
            if (s.root != null && s.rootByteOffset + s.nbytes > root.nbytes) {
                throw new AdapterFormatException(
                        file,
                        "legacy format: storage view '"
                                + s.key
                                + "' [+"
                                + s.rootByteOffset
                                + ", "
                                + s.nbytes
                                + " bytes] runs past its root '"
                                + root.key
                                + "' ("
                                + root.nbytes
                                + " bytes)");
            }
        }
        return new PytorchReader(
                file, ch, WeightsFormat.PYTORCH_LEGACY, ByteOrder.LITTLE_ENDIAN, tensors(file, result, "state dict"));
    }

    private static Object unpickle(
            Path file, PickleInput in, Map<String, Py.Storage> storages, boolean legacy, String what)
            throws IOException {
        try {
            return new TorchUnpickler(in, storages, legacy).load();
        } catch (TorchUnpickler.Refusal e) {
            throw new AdapterFormatException(file, what + ": " + e.getMessage());
        }
    }

    private static Map<String, Py.Tensor> tensors(Path file, Object result, String what) {
        if (!(result instanceof Py.Dict dict)) {
            throw new AdapterFormatException(
                    file, what + " holds " + Py.describe(result) + ", expected a dict of tensors (a state_dict)");
        }
        Map<String, Py.Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<Object, Object> e : dict.map.entrySet()) {
            if (!(e.getKey() instanceof String name)) {
                throw new AdapterFormatException(
                        file, what + ": key " + Py.describe(e.getKey()) + " is not a string");
            }
            if (!(e.getValue() instanceof Py.Tensor t)) {
                throw new AdapterFormatException(
                        file,
                        what
                                + ": entry '"
                                + name
                                + "' is "
                                + Py.describe(e.getValue())
                                + ", not a tensor; only state dicts of tensors are read");
            }
            check(file, name, t);
            out.put(name, t);
        }
        return out;
    }

    private static void check(Path file, String name, Py.Tensor t) {
        long esize = t.dtype.byteSize();
        long storageElements = t.storage.nbytes / esize;
        long numel = 1;
        long last = t.offset;
        try {
            for (int i = 0; i < t.size.length; i++) {
                numel = Math.multiplyExact(numel, t.size[i]);
                if (t.size[i] > 0) {
                    last = Math.addExact(last, Math.multiplyExact(t.size[i] - 1, t.stride[i]));
                }
            }
        } catch (ArithmeticException e) {
            numel = -1;
        }
        String view =
                "tensor '"
                        + name
                        + "': size "
                        + Arrays.toString(t.size)
                        + ", stride "
                        + Arrays.toString(t.stride)
                        + " at storage offset "
                        + t.offset;
        if (numel < 0) {
            throw new AdapterFormatException(file, view + " overflows a 64-bit element count");
        }
        long needed = numel == 0 ? t.offset : last + 1;
        if (needed > storageElements) {
            throw new AdapterFormatException(
                    file,
                    view
                            + " needs "
                            + needed
                            + " elements of "
                            + t.dtype
                            + " but its storage '"
                            + t.storage.key
                            + "' holds "
                            + storageElements);
        }
        if (numel > storageElements) {
            throw new AdapterFormatException(
                    file,
                    view
                            + " has "
                            + numel
                            + " elements over a storage of "
                            + storageElements
                            + ": overlapping (stride 0) views are not supported");
        }
    }

    @Override
    public Path file() {
        return file;
    }

    @Override
    public WeightsFormat format() {
        return format;
    }

    @Override
    public List<TensorEntry> entries() {
        return entries;
    }

    @Override
    public Optional<TensorEntry> entry(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * @param name a tensor's key
     * @return the keys of the tensors that share its storage (itself included), in file order
     */
    public List<String> sharingStorage(String name) {
        Py.Tensor t = require(name);
        Py.Storage root = t.storage.root == null ? t.storage : t.storage.root;
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Py.Tensor> e : tensors.entrySet()) {
            Py.Storage s = e.getValue().storage;
            if ((s.root == null ? s : s.root) == root) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    private Py.Tensor require(String name) {
        Py.Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(file + ": no tensor '" + name + "'");
        }
        return t;
    }

    /**
     * Present for a contiguous view of a little-endian storage (what {@code torch.save} writes for
     * a state dict of ordinary parameters, tied ones included); empty for a strided view or a
     * big-endian file.
     */
    @Override
    public OptionalLong contiguousOffset(String name) {
        Py.Tensor t = require(name);
        if (order != ByteOrder.LITTLE_ENDIAN || !isContiguous(t)) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(start(t));
    }

    /** The file offset of the view's first element. */
    private static long start(Py.Tensor t) {
        Py.Storage root = t.storage.root == null ? t.storage : t.storage.root;
        long base = root.dataOffset + (t.storage.root == null ? 0 : t.storage.rootByteOffset);
        return base + t.offset * t.dtype.byteSize();
    }

    @Override
    public float[] readFloat32(String name) throws IOException {
        Py.Tensor t = require(name);
        if (!t.dtype.isConvertibleToFloat32()) {
            throw new IllegalArgumentException(
                    file + ": tensor '" + name + "' is " + t.dtype + ", not a float type");
        }
        long numel = TensorInfo.numel(t.size);
        if (numel > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(
                    file + ": tensor '" + name + "' has " + numel + " elements, more than a float[] holds");
        }
        float[] out = new float[(int) numel];
        if (numel == 0) {
            return out;
        }
        int esize = t.dtype.byteSize();
        long start = start(t);
        if (isContiguous(t)) {
            int perPiece = PIECE / esize;
            for (int done = 0; done < out.length; ) {
                int n = Math.min(perPiece, out.length - done);
                decode(TorchZip.read(channel, start + (long) done * esize, n * esize), t.dtype, out, done, n);
                done += n;
            }
            return out;
        }
        long span = 1;
        for (int i = 0; i < t.size.length; i++) {
            span += (t.size[i] - 1) * t.stride[i];
        }
        if (span > Integer.MAX_VALUE / 8) {
            throw new IllegalArgumentException(
                    file + ": tensor '" + name + "' is a non-contiguous view spanning " + span
                            + " elements, too many to gather in memory");
        }
        float[] flat = new float[(int) span];
        decode(TorchZip.read(channel, start, (int) span * esize), t.dtype, flat, 0, (int) span);
        gather(flat, t.size, t.stride, out);
        return out;
    }

    private void decode(ByteBuffer bytes, DType dtype, float[] dst, int offset, int count) {
        if (order == ByteOrder.BIG_ENDIAN && dtype.byteSize() > 1) {
            byte[] a = bytes.array();
            int w = dtype.byteSize();
            for (int i = 0; i + w <= a.length; i += w) {
                for (int j = 0; j < w / 2; j++) {
                    byte tmp = a[i + j];
                    a[i + j] = a[i + w - 1 - j];
                    a[i + w - 1 - j] = tmp;
                }
            }
        }
        FloatCodec.decode(bytes, dtype, dst, offset, count);
    }

    private static boolean isContiguous(Py.Tensor t) {
        long expected = 1;
        for (int i = t.size.length - 1; i >= 0; i--) {
            if (t.size[i] != 1 && t.stride[i] != expected) {
                return false;
            }
            expected *= t.size[i];
        }
        return true;
    }

    /** Copies a strided view of {@code flat} (offset 0) into row-major {@code out}. */
    private static void gather(float[] flat, long[] size, long[] stride, float[] out) {
        int nd = size.length;
        long[] idx = new long[nd];
        long pos = 0;
        for (int k = 0; k < out.length; k++) {
            out[k] = flat[(int) pos];
            for (int d = nd - 1; d >= 0; d--) {
                idx[d]++;
                pos += stride[d];
                if (idx[d] < size[d]) {
                    break;
                }
                pos -= stride[d] * idx[d];
                idx[d] = 0;
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "PytorchReader[" + file + ", " + format.description() + ", " + entries.size() + " tensors]";
    }
}
