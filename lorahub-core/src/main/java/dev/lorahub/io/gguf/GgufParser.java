package dev.lorahub.io.gguf;

import dev.lorahub.io.AdapterFormatException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses and validates a GGUF header (see {@link GgufFile} for the rules, which follow ggml's
 * {@code gguf_init_from_file_impl}). Every count and length is checked against the bytes left
 * before anything is allocated for it.
 */
final class GgufParser {
    private static final byte[] MAGIC = {'G', 'G', 'U', 'F'};

    private final Path file;
    private final ByteBuffer b;
    private final long fileSize;
    private int pos;
    private GgufValueType lastElem = GgufValueType.UINT8;

    private GgufParser(Path file, ByteBuffer head, long fileSize) {
        this.file = file;
        this.b = head;
        this.fileSize = fileSize;
    }

    static GgufFile parse(Path file, ByteBuffer head, long fileSize, GgufFile.Source source) {
        return new GgufParser(file, head, fileSize).parse(source);
    }

    private AdapterFormatException refuse(String problem) {
        return new AdapterFormatException(file, problem);
    }

    /**
     * A key or tensor name as messages show it: control characters escaped (a message stays one
     * line), at most 80 characters.
     */
    static String shown(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < 80; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F || c == 0x2028 || c == 0x2029 || c == 0x85) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.length() < 80 && s.length() <= 80 ? sb.toString() : sb.append("...").toString();
    }

    private long remaining() {
        return b.limit() - (long) pos;
    }

    private void need(long n, String what) {
        if (n < 0 || n > remaining()) {
            throw refuse(
                    "truncated: "
                            + what
                            + " at byte "
                            + pos
                            + " needs "
                            + Long.toUnsignedString(n)
                            + " bytes, "
                            + remaining()
                            + " left in the file");
        }
    }

    private int u8(String what) {
        need(1, what);
        return b.get(pos++) & 0xFF;
    }

    private int i32(String what) {
        need(4, what);
        int v = b.getInt(pos);
        pos += 4;
        return v;
    }

    private long i64(String what) {
        need(8, what);
        long v = b.getLong(pos);
        pos += 8;
        return v;
    }

    private String string(String what) {
        long len = i64(what + " length");
        if (len < 0 || len > remaining()) {
            throw refuse(
                    what
                            + " at byte "
                            + (pos - 8)
                            + " has length "
                            + Long.toUnsignedString(len)
                            + ", past the end of the file ("
                            + remaining()
                            + " bytes left): truncated or corrupt");
        }
        String s = new String(bytes((int) len), StandardCharsets.UTF_8);
        return s;
    }

    private byte[] bytes(int n) {
        byte[] out = new byte[n];
        b.get(pos, out);
        pos += n;
        return out;
    }

    private GgufFile parse(GgufFile.Source source) {
        need(4, "magic");
        byte[] magic = bytes(4);
        if (!Arrays.equals(magic, MAGIC)) {
            throw refuse("not a GGUF file: magic " + printable(magic) + ", expected 'GGUF'");
        }
        int version = i32("version");
        if (version == 1) {
            throw refuse("GGUF version 1 is no longer supported (ggml reads versions 2 and 3)");
        }
        if (version != 2 && version != 3) {
            throw refuse(
                    "GGUF version "
                            + Integer.toUnsignedString(version)
                            + " is not supported (2 or 3)"
                            + ((version & 0xFFFF) == 0 ? "; is the file big-endian?" : ""));
        }
        long nTensors = i64("tensor count");
        long nKv = i64("metadata count");
        // a tensor info takes at least 24 bytes, a key-value pair at least 13
        if (nTensors < 0 || nTensors > remaining() / 24) {
            throw refuse(
                    "tensor count "
                            + Long.toUnsignedString(nTensors)
                            + " cannot fit in the "
                            + remaining()
                            + " bytes left: truncated or corrupt");
        }
        if (nKv < 0 || nKv > remaining() / 13) {
            throw refuse(
                    "metadata count "
                            + Long.toUnsignedString(nKv)
                            + " cannot fit in the "
                            + remaining()
                            + " bytes left: truncated or corrupt");
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        Map<String, GgufValueType> types = new LinkedHashMap<>();
        Map<String, GgufValueType> elemTypes = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            String key = string("key of metadata entry " + i);
            String shownKey = shown(key);
            if (meta.containsKey(key)) {
                throw refuse("duplicate metadata key '" + shownKey + "'");
            }
            GgufValueType type = valueType(i32("type of '" + shownKey + "'"), shownKey);
            types.put(key, type);
            meta.put(key, value(type, shownKey));
            if (type == GgufValueType.ARRAY) {
                elemTypes.put(key, lastElem);
            }
        }
        long alignment = alignment(meta, types);
        List<Object[]> infos = new ArrayList<>();
        Map<String, Boolean> names = new LinkedHashMap<>();
        for (long i = 0; i < nTensors; i++) {
            String name = string("name of tensor " + i);
            String shownName = shown(name);
            if (name.getBytes(StandardCharsets.UTF_8).length >= GgufFile.MAX_NAME_BYTES) {
                throw refuse(
                        "tensor "
                                + i
                                + " has a name of "
                                + name.getBytes(StandardCharsets.UTF_8).length
                                + " bytes, ggml allows at most "
                                + (GgufFile.MAX_NAME_BYTES - 1)
                                + ": '"
                                + shownName
                                + "'");
            }
            if (names.put(name, Boolean.TRUE) != null) {
                throw refuse("duplicate tensor name '" + shownName + "'");
            }
            infos.add(tensorInfo(name, shownName));
        }
        long dataOffset = nTensors == 0 ? pos : align(pos, alignment);
        Map<String, GgufTensor> tensors = new LinkedHashMap<>();
        long expected = 0;
        for (Object[] info : infos) {
            String name = (String) info[0];
            String shownName = shown(name);
            long[] ne = (long[]) info[1];
            GgmlType type = (GgmlType) info[2];
            long offset = (long) info[3];
            long numel = 1;
            for (long d : ne) {
                numel *= d; // checked in tensorInfo
            }
            long length = type.byteLength(numel);
            if (offset != expected) {
                throw refuse(
                        "tensor '"
                                + shownName
                                + "' has data offset "
                                + Long.toUnsignedString(offset)
                                + ", expected "
                                + expected
                                + " (ggml requires tensors in order, each starting at the next"
                                + " multiple of the alignment "
                                + alignment
                                + ": no gap, no overlap)");
            }
            long start = dataOffset + offset;
            if (start < 0 || length > fileSize - start || start > fileSize) {
                throw refuse(
                        "tensor '"
                                + shownName
                                + "' ("
                                + type
                                + " "
                                + Arrays.toString(ne)
                                + ", "
                                + length
                                + " bytes at "
                                + start
                                + ") lies past the end of the file ("
                                + fileSize
                                + " bytes): truncated");
            }
            long padded = align(length, alignment);
            if (padded < 0 || expected > Long.MAX_VALUE - padded) {
                throw refuse("tensor '" + shownName + "': data section size overflows");
            }
            expected += padded;
            tensors.put(name, new GgufTensor(name, type, ne, start, length));
        }
        return new GgufFile(
                file, source, version, alignment, dataOffset, meta, types, elemTypes, tensors);
    }

    private Object[] tensorInfo(String realName, String name) {
        int nDims = i32("dimension count of tensor '" + name + "'");
        if (nDims < 0 || nDims > 4) {
            throw refuse(
                    "tensor '"
                            + name
                            + "' has "
                            + Integer.toUnsignedString(nDims)
                            + " dimensions, ggml allows at most 4");
        }
        long[] ne = new long[nDims];
        long numel = 1;
        for (int d = 0; d < nDims; d++) {
            ne[d] = i64("dimension " + d + " of tensor '" + name + "'");
            if (ne[d] < 0) {
                throw refuse(
                        "tensor '"
                                + name
                                + "' has dimension "
                                + d
                                + " = "
                                + Long.toUnsignedString(ne[d])
                                + ", above 2^63 - 1");
            }
        }
        for (long d : ne) {
            if (d != 0 && numel > Long.MAX_VALUE / d) {
                throw refuse(
                        "tensor '"
                                + name
                                + "' has dimensions "
                                + Arrays.toString(ne)
                                + " whose element count overflows a signed 64-bit integer");
            }
            numel *= d;
        }
        int typeId = i32("ggml type of tensor '" + name + "'");
        GgmlType type =
                GgmlType.ofId(typeId)
                        .orElseThrow(
                                () ->
                                        refuse(
                                                "tensor '"
                                                        + name
                                                        + "' has unknown ggml type "
                                                        + Integer.toUnsignedString(typeId)
                                                        + " ("
                                                        + GgmlType.unknownIdReason(
                                                                Integer.toUnsignedLong(typeId))
                                                        + ")"));
        long rowLength = nDims == 0 ? 1 : ne[0];
        if (rowLength % type.blockSize() != 0) {
            throw refuse(
                    "tensor '"
                            + name
                            + "' of type "
                            + type
                            + " has rows of "
                            + rowLength
                            + " elements, not a multiple of its block size "
                            + type.blockSize());
        }
        if (type.byteLength(numel) < 0) {
            throw refuse(
                    "tensor '"
                            + name
                            + "' ("
                            + type
                            + " "
                            + Arrays.toString(ne)
                            + ") has a byte size that overflows");
        }
        long offset = i64("data offset of tensor '" + name + "'");
        return new Object[] {realName, ne, type, offset};
    }

    private GgufValueType valueType(int id, String key) {
        return GgufValueType.ofId(id & 0xFFFFFFFFL)
                .orElseThrow(
                        () ->
                                refuse(
                                        "metadata '"
                                                + key
                                                + "' has unknown value type "
                                                + Integer.toUnsignedString(id)
                                                + " (0 to 12)"));
    }

    private Object value(GgufValueType type, String key) {
        String what = "value of '" + key + "'";
        switch (type) {
            case UINT8:
                return (long) u8(what);
            case INT8:
                return (long) (byte) u8(what);
            case UINT16:
                need(2, what);
                pos += 2;
                return (long) (b.getShort(pos - 2) & 0xFFFF);
            case INT16:
                need(2, what);
                pos += 2;
                return (long) b.getShort(pos - 2);
            case UINT32:
                return i32(what) & 0xFFFFFFFFL;
            case INT32:
                return (long) i32(what);
            case FLOAT32:
                return (double) Float.intBitsToFloat(i32(what));
            case BOOL:
                return u8(what) != 0;
            case STRING:
                return string(what);
            case UINT64:
            case INT64:
                return i64(what);
            case FLOAT64:
                return Double.longBitsToDouble(i64(what));
            case ARRAY:
            default:
                return array(key);
        }
    }

    private List<Object> array(String key) {
        GgufValueType elem = valueType(i32("element type of '" + key + "'"), key);
        lastElem = elem;
        if (elem == GgufValueType.ARRAY) {
            throw refuse("metadata '" + key + "' is an array of arrays, which GGUF does not allow");
        }
        long n = i64("element count of '" + key + "'");
        if (n < 0 || n > remaining() / elem.minBytes()) {
            throw refuse(
                    "metadata '"
                            + key
                            + "': array of "
                            + Long.toUnsignedString(n)
                            + " "
                            + elem
                            + " elements cannot fit in the "
                            + remaining()
                            + " bytes left: truncated or corrupt");
        }
        List<Object> list = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) {
            list.add(value(elem, key));
        }
        return Collections.unmodifiableList(list);
    }

    private long alignment(Map<String, Object> meta, Map<String, GgufValueType> types) {
        GgufValueType t = types.get("general.alignment");
        if (t == null) {
            return GgufFile.DEFAULT_ALIGNMENT;
        }
        if (t != GgufValueType.UINT32) {
            throw refuse("general.alignment is of type " + t + ", ggml requires UINT32");
        }
        long a = (Long) meta.get("general.alignment");
        if (a == 0 || (a & (a - 1)) != 0) {
            throw refuse("general.alignment is " + a + ", not a power of 2");
        }
        return a;
    }

    static long align(long x, long alignment) {
        long r = x % alignment;
        return r == 0 ? x : x + (alignment - r);
    }

    private static String printable(byte[] magic) {
        StringBuilder sb = new StringBuilder("'");
        for (byte c : magic) {
            sb.append(c >= 0x20 && c < 0x7F ? (char) c : '?');
        }
        return sb.append("' (").append(Arrays.toString(magic)).append(')').toString();
    }
}
