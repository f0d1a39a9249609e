package dev.lorahub.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds safetensors files byte by byte for tests, independently of {@link SafetensorsWriter}. */
final class SafetensorsBytes {
    private SafetensorsBytes() {}

    /**
     * @return {@code N (LE u64) + json + dataBytes zero bytes}, N = json's UTF-8 length
     */
    static byte[] file(String json, int dataBytes) {
        return file(json.getBytes(StandardCharsets.UTF_8), dataBytes);
    }

    /**
     * @return {@code N (LE u64) + header + dataBytes zero bytes}, N = header.length
     */
    static byte[] file(byte[] header, int dataBytes) {
        ByteBuffer b =
                ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        return b.array();
    }

    /**
     * @return {@code n (LE u64)} followed by {@code rest}
     */
    static byte[] withLength(long n, byte[] rest) {
        ByteBuffer b = ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(n).put(rest);
        return b.array();
    }

    /**
     * @return one tensor entry as JSON
     */
    static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\""
                + name
                + "\":{\"dtype\":\""
                + dtype
                + "\",\"shape\":"
                + shape
                + ",\"data_offsets\":["
                + begin
                + ","
                + end
                + "]}";
    }
}
