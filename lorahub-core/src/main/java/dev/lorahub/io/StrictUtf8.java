package dev.lorahub.io;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * Strict UTF-8 decoding of a whole file's bytes: invalid input is reported with its byte, offset
 * and line, which {@code Files.readString} ("Input length = 1") and Jackson (which lets invalid
 * UTF-8 through in keys) do not give. Each reader turns the report into its own exception type.
 */
public final class StrictUtf8 {
    private StrictUtf8() {}

    /**
     * Where decoding failed.
     *
     * @param value the first invalid byte, 0-255
     * @param offset its byte offset
     * @param line its 1-based line
     */
    public record Invalid(int value, int offset, int line) {}

    /**
     * @param bytes the file's bytes
     * @param error makes the exception to throw for invalid input
     * @return the decoded text
     */
    public static String decode(byte[] bytes, Function<Invalid, ? extends RuntimeException> error) {
        CharsetDecoder d =
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = d.decode(in, out, true);
        if (r.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                line += bytes[i] == '\n' ? 1 : 0;
            }
            throw error.apply(new Invalid(bytes[at] & 0xFF, at, line));
        }
        d.flush(out);
        return out.flip().toString();
    }
}
