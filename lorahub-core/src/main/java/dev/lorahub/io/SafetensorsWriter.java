package dev.lorahub.io;

import dev.lorahub.internal.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes safetensors files in the reference layout (huggingface/safetensors {@code prepare}), so a
 * file written here is byte-identical to the reference's for the same tensors and metadata:
 *
 * <ul>
 *   <li>tensors sorted by dtype descending in {@link DType} declaration order (wider types first,
 *       so every tensor is aligned to its element size), then by name (code point order, which is
 *       UTF-8 byte order);
 *   <li>offsets contiguous from 0;
 *   <li>compact JSON: {@code __metadata__} first (omitted when the map is empty), then each tensor
 *       as {@code {"dtype":..,"shape":[..],"data_offsets":[b,e]}}; strings escaped as serde_json
 *       does ({@code \"}, {@code \\}, {@code \b \f \n \r \t}, other control characters as {@code
 *       \}{@code u00xx}), everything else raw UTF-8;
 *   <li>the JSON padded with spaces to a multiple of 8 bytes.
 * </ul>
 *
 * The reference keeps {@code __metadata__} in a hash map, so with two or more keys its order is
 * arbitrary; here it is the iteration order of the map given.
 *
 * <p>Files are written to a temporary file in the target folder and moved into place atomically; a
 * file that is open in a {@link SafetensorsReader} of this JVM is never replaced.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    /**
     * @param file where to write (replaced atomically if it exists and is not open for reading)
     * @param metadata {@code __metadata__} entries, e.g. {@code {"format": "pt"}}; empty = none
     * @param tensors the tensors, any order, unique names
     * @throws IllegalArgumentException on duplicate names
     * @throws IllegalStateException when {@code file} is open in a {@link SafetensorsReader}
     */
    public static void write(Path file, Map<String, String> metadata, List<TensorData> tensors)
            throws IOException {
        Path target = file.toAbsolutePath();
        if (OpenFiles.isOpen(target)) {
            throw new IllegalStateException(
                    "refusing to replace " + file + ": it is open in a SafetensorsReader");
        }
        List<TensorData> sorted = sorted(tensors);
        byte[] header = header(metadata, sorted);
        AtomicFiles.write(
                target,
                ch -> {
                    AtomicFiles.writeFully(ch, prefix(header));
                    for (TensorData t : sorted) {
                        AtomicFiles.writeFully(ch, t.bytes());
                    }
                });
    }

    /**
     * The whole file in memory (for tests and small files).
     *
     * @return the bytes {@link #write} would write
     */
    public static byte[] toBytes(Map<String, String> metadata, List<TensorData> tensors) {
        List<TensorData> sorted = sorted(tensors);
        byte[] header = header(metadata, sorted);
        long total = 8L + header.length;
        for (TensorData t : sorted) {
            total += t.byteLength();
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(total + " bytes do not fit in a byte[]");
        }
        ByteBuffer out = ByteBuffer.allocate((int) total);
        out.put(prefix(header));
        for (TensorData t : sorted) {
            out.put(t.bytes());
        }
        return out.array();
    }

    /** Reference order: dtype descending (declaration order), then name in code point order. */
    static List<TensorData> sorted(List<TensorData> tensors) {
        Set<String> names = new HashSet<>();
        for (TensorData t : tensors) {
            if (!names.add(t.name())) {
                throw new IllegalArgumentException("duplicate tensor name '" + t.name() + "'");
            }
        }
        List<TensorData> sorted = new ArrayList<>(tensors);
        sorted.sort(
                Comparator.comparing(TensorData::dtype, Comparator.reverseOrder())
                        .thenComparing(TensorData::name, SafetensorsWriter::compareCodePoints));
        return sorted;
    }

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    /**
     * @return the padded JSON header for tensors already in file order
     */
    static byte[] header(Map<String, String> metadata, List<TensorData> sorted) {
        StringBuilder json = new StringBuilder(64 + 128 * sorted.size());
        json.append('{');
        boolean first = true;
        if (!metadata.isEmpty()) {
            json.append("\"__metadata__\":{");
            boolean firstEntry = true;
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (!firstEntry) {
                    json.append(',');
                }
                string(json, e.getKey()).append(':');
                string(json, e.getValue());
                firstEntry = false;
            }
            json.append('}');
            first = false;
        }
        long offset = 0;
        for (TensorData t : sorted) {
            if (!first) {
                json.append(',');
            }
            first = false;
            string(json, t.name()).append(":{\"dtype\":\"").append(t.dtype().name());
            json.append("\",\"shape\":[");
            long[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) {
                json.append(i == 0 ? "" : ",").append(shape[i]);
            }
            long end = offset + t.byteLength();
            json.append("],\"data_offsets\":[").append(offset).append(',').append(end);
            json.append("]}");
            offset = end;
        }
        json.append('}');
        String text = json.toString();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isSurrogate(c)
                    && !(Character.isHighSurrogate(c)
                            && i + 1 < text.length()
                            && Character.isLowSurrogate(text.charAt(++i)))) {
                throw new IllegalArgumentException(
                        "a tensor name or metadata string has an unpaired surrogate");
            }
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int padded = (utf8.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(utf8, 0, out, 0, utf8.length);
        for (int i = utf8.length; i < padded; i++) {
            out[i] = ' ';
        }
        return out;
    }

    private static StringBuilder string(StringBuilder json, String s) {
        json.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\b' -> json.append("\\b");
                case '\f' -> json.append("\\f");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        return json.append('"');
    }

    private static ByteBuffer prefix(byte[] header) {
        ByteBuffer buf = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length).put(header).flip();
        return buf;
    }
}
