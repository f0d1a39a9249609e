package dev.lorahub.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed, fully validated header of a safetensors file. Every check compares sizes the header
 * claims with the length of the file before anything is allocated from them.
 *
 * @param metadata {@code __metadata__} in file order (empty when absent)
 * @param tensors the tensors in header order
 * @param headerLength N, the JSON length in bytes
 */
record SafetensorsHeader(
        Map<String, String> metadata, List<TensorInfo> tensors, long headerLength) {
    /** The reference's limit on N. */
    static final long MAX_HEADER_LENGTH = 100_000_000L;

    private static final ObjectMapper JSON =
            JsonMapper.builder()
                    .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                    .build();

    static {
        JSON.getFactory()
                .setStreamReadConstraints(
                        StreamReadConstraints.builder()
                                .maxStringLength((int) MAX_HEADER_LENGTH + 1)
                                .maxDocumentLength(MAX_HEADER_LENGTH + 1)
                                .build());
    }

    SafetensorsHeader {
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        tensors = List.copyOf(tensors);
    }

    /**
     * @return where the data buffer starts in the file: {@code 8 + N}
     */
    long dataStart() {
        return 8 + headerLength;
    }

    /**
     * Reads N from the first 8 bytes and checks it against the file length.
     *
     * @param first8 the file's first bytes (at least 8, little-endian order irrelevant)
     * @param fileLength the file's length in bytes
     * @return N, known to satisfy {@code 8 + N <= fileLength} and {@code N <= 100,000,000}
     */
    static long checkHeaderLength(Path file, ByteBuffer first8, long fileLength) {
        if (fileLength < 8) {
            throw new AdapterFormatException(
                    file,
                    "file is "
                            + fileLength
                            + " bytes long, too short for the 8-byte header length");
        }
        long n = first8.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (n < 0 || n > MAX_HEADER_LENGTH) {
            throw new AdapterFormatException(
                    file,
                    "header length "
                            + Long.toUnsignedString(n)
                            + " exceeds the limit of "
                            + MAX_HEADER_LENGTH
                            + " bytes");
        }
        if (8 + n > fileLength) {
            throw new AdapterFormatException(
                    file,
                    "header length "
                            + n
                            + " runs past the end of the file ("
                            + fileLength
                            + " bytes)");
        }
        return n;
    }

    /**
     * Parses and validates the JSON header.
     *
     * @param json the N header bytes (N already checked)
     * @param fileLength the file's length: the tensors must cover {@code [8+N, fileLength)}
     */
    static SafetensorsHeader parse(Path file, ByteBuffer json, long fileLength) {
        long n = json.remaining();
        String text = decodeUtf8(file, json);
        if (text.isEmpty() || text.charAt(0) != '{') {
            throw new AdapterFormatException(file, "header does not start with '{'");
        }
        JsonNode root;
        try {
            root = StrictJson.read(JSON, text);
        } catch (JsonProcessingException e) {
            throw new AdapterFormatException(
                    file,
                    "header is not valid JSON"
                            + (e.getLocation() == null
                                            || e instanceof StrictJson.TrailingContentException
                                    ? "" // its message says where
                                    : " at character " + e.getLocation().getCharOffset())
                            + ": "
                            + e.getOriginalMessage(),
                    e);
        }
        if (root == null || !root.isObject()) {
            throw new AdapterFormatException(file, "header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> tensors = new ArrayList<>(root.size());
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals("__metadata__")) {
                metadata = metadata(file, field.getValue());
            } else {
                tensors.add(tensor(file, field.getKey(), field.getValue()));
            }
        }
        checkLayout(file, tensors, fileLength - 8 - n);
        return new SafetensorsHeader(metadata, tensors, n);
    }

    private static String decodeUtf8(Path file, ByteBuffer json) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(json.duplicate())
                    .toString();
        } catch (MalformedInputException e) {
            throw new AdapterFormatException(
                    file,
                    "header is not valid UTF-8 (malformed input of "
                            + e.getInputLength()
                            + " byte(s))",
                    e);
        } catch (CharacterCodingException e) {
            throw new AdapterFormatException(file, "header is not valid UTF-8", e);
        }
    }

    private static Map<String, String> metadata(Path file, JsonNode node) {
        if (!node.isObject()) {
            throw new AdapterFormatException(
                    file, "__metadata__ is " + kind(node) + ", expected an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new AdapterFormatException(
                        file,
                        "__metadata__ value of '"
                                + e.getKey()
                                + "' is "
                                + kind(e.getValue())
                                + ", expected a string");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    private static TensorInfo tensor(Path file, String name, JsonNode node) {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw new AdapterFormatException(
                    file, where + " is " + kind(node) + ", expected an object");
        }
        JsonNode dtypeNode = required(file, where, node, "dtype");
        if (!dtypeNode.isTextual()) {
            throw new AdapterFormatException(
                    file, where + ": dtype is " + kind(dtypeNode) + ", expected a string");
        }
        DType dtype =
                DType.fromName(dtypeNode.textValue())
                        .orElseThrow(
                                () ->
                                        new AdapterFormatException(
                                                file,
                                                where
                                                        + ": unknown dtype '"
                                                        + dtypeNode.textValue()
                                                        + "' (expected one of "
                                                        + Arrays.toString(DType.values())
                                                        + ", case-sensitive)"));
        long[] shape = naturals(file, where + ": shape", required(file, where, node, "shape"));
        long[] offsets =
                naturals(
                        file,
                        where + ": data_offsets",
                        required(file, where, node, "data_offsets"));
        if (offsets.length != 2) {
            throw new AdapterFormatException(
                    file,
                    where
                            + ": data_offsets has "
                            + offsets.length
                            + " entries, expected [begin, end]");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw new AdapterFormatException(
                    file, where + ": data_offsets [" + begin + ", " + end + "] end before begin");
        }
        long expected = TensorInfo.byteLength(dtype, shape);
        if (expected < 0) {
            throw new AdapterFormatException(
                    file,
                    where
                            + ": "
                            + dtype
                            + " "
                            + Arrays.toString(shape)
                            + " overflows a 64-bit element or byte count");
        }
        if (end - begin != expected) {
            throw new AdapterFormatException(
                    file,
                    where + ": " + TensorInfo.sizeMismatch(begin, end, expected, dtype, shape));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static JsonNode required(Path file, String where, JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null) {
            throw new AdapterFormatException(file, where + " has no '" + key + "'");
        }
        return v;
    }

    /** An array of non-negative 64-bit integers (no fractions, no exponents, no signs). */
    private static long[] naturals(Path file, String where, JsonNode node) {
        if (!node.isArray()) {
            throw new AdapterFormatException(
                    file, where + " is " + kind(node) + ", expected an array of integers");
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber()) {
                throw new AdapterFormatException(
                        file, where + "[" + i + "] is " + kind(v) + ", expected an integer >= 0");
            }
            if (!v.canConvertToLong()) {
                throw new AdapterFormatException(
                        file, where + "[" + i + "] = " + v + " does not fit in 64 bits");
            }
            out[i] = v.longValue();
            if (out[i] < 0) {
                throw new AdapterFormatException(
                        file, where + "[" + i + "] = " + out[i] + " is negative");
            }
        }
        return out;
    }

    /** Tensors sorted by offsets must tile {@code [0, dataLength)} exactly. */
    private static void checkLayout(Path file, List<TensorInfo> tensors, long dataLength) {
        List<TensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long next = 0;
        String previous = null;
        for (TensorInfo t : sorted) {
            if (t.begin() != next) {
                String problem =
                        previous == null
                                ? "the first tensor '"
                                        + t.name()
                                        + "' begins at "
                                        + t.begin()
                                        + ", expected 0"
                                : "tensor '"
                                        + t.name()
                                        + "' begins at "
                                        + t.begin()
                                        + " but '"
                                        + previous
                                        + "' ends at "
                                        + next
                                        + (t.begin() > next ? " (gap)" : " (overlap)");
                throw new AdapterFormatException(file, problem);
            }
            next = t.end();
            previous = t.name();
        }
        if (next > dataLength) {
            throw new AdapterFormatException(
                    file,
                    "data truncated: the tensors need "
                            + next
                            + " bytes after the header, the file has "
                            + dataLength);
        }
        if (next < dataLength) {
            throw new AdapterFormatException(
                    file,
                    (dataLength - next)
                            + " trailing bytes after the last tensor (data is "
                            + dataLength
                            + " bytes, tensors cover "
                            + next
                            + ")");
        }
    }

    private static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> node.isIntegralNumber() ? "the integer " + node : "the number " + node;
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            default -> node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
