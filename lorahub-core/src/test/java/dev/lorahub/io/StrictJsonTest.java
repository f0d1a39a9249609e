package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * One JSON value, then only whitespace: the offsets, lines and columns of a refusal are where the
 * test put the extra content (counted by hand below), in bytes for bytes and characters for text.
 */
class StrictJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void a_value_followed_by_json_whitespace_only_is_read() throws Exception {
        String doc = "{\"a\": [1, 2]} \t\r\n\n  ";
        assertThat(StrictJson.read(JSON, utf8(doc))).isEqualTo(JSON.readTree(doc));
        assertThat(StrictJson.read(JSON, doc)).isEqualTo(JSON.readTree(doc));
        assertThat(StrictJson.read(JSON, "  ")).isSameAs(MissingNode.getInstance());
        assertThat(StrictJson.read(JSON, new byte[0])).isSameAs(MissingNode.getInstance());
    }

    @Test
    void a_second_value_is_refused_at_its_first_byte() {
        // {"a":1} is bytes 0-6; the second object starts at byte 7, column 8
        var e =
                catchThrowableOfType(
                        StrictJson.TrailingContentException.class,
                        () -> StrictJson.read(JSON, utf8("{\"a\":1}{\"b\":2}")));
        assertThat(e.getOriginalMessage())
                .isEqualTo("content after the JSON value at byte 7 (line 1, column 8)");
        assertThat(e.offset()).isEqualTo(7);
        assertThat(e.line()).isEqualTo(1);
        assertThat(e.column()).isEqualTo(8);
    }

    @Test
    void garbage_after_whitespace_is_refused_at_its_line_and_column() {
        // line 1 "{\n", line 2 "  \"k\": \"v\"\n", line 3 "}\n", line 4 "\t x": x at column 3
        String doc = "{\n  \"k\": \"v\"\n}\n\t x\n";
        int x = doc.indexOf('x');
        var bytes =
                catchThrowableOfType(
                        StrictJson.TrailingContentException.class,
                        () -> StrictJson.read(JSON, utf8(doc)));
        assertThat(bytes.getOriginalMessage())
                .isEqualTo("content after the JSON value at byte " + x + " (line 4, column 3)");
        var chars =
                catchThrowableOfType(
                        StrictJson.TrailingContentException.class,
                        () -> StrictJson.read(JSON, doc));
        assertThat(chars.getOriginalMessage())
                .isEqualTo(
                        "content after the JSON value at character " + x + " (line 4, column 3)");
    }

    @Test
    void offsets_count_bytes_for_bytes_and_characters_for_text() {
        // "é" is one character and two UTF-8 bytes: the '}' that follows the object is character
        // 7, byte 8 (columns count the same units)
        String doc = "{\"é\":1}}";
        var bytes =
                catchThrowableOfType(
                        StrictJson.TrailingContentException.class,
                        () -> StrictJson.read(JSON, utf8(doc)));
        assertThat(bytes.getOriginalMessage())
                .isEqualTo("content after the JSON value at byte 8 (line 1, column 9)");
        var chars =
                catchThrowableOfType(
                        StrictJson.TrailingContentException.class,
                        () -> StrictJson.read(JSON, doc));
        assertThat(chars.getOriginalMessage())
                .isEqualTo("content after the JSON value at character 7 (line 1, column 8)");
    }

    @Test
    void text_jackson_decodes_as_utf_16_is_held_to_the_same_rule() throws Exception {
        byte[] clean = "{\"a\":1}\n".getBytes(StandardCharsets.UTF_16BE);
        assertThat(StrictJson.read(JSON, clean)).isEqualTo(JSON.readTree("{\"a\":1}"));
        byte[] extra = "{\"a\":1} x".getBytes(StandardCharsets.UTF_16BE);
        var e =
                catchThrowableOfType(
                        StrictJson.TrailingContentException.class,
                        () -> StrictJson.read(JSON, extra));
        assertThat(e.getOriginalMessage())
                .isEqualTo(
                        "content after the JSON value, which ends at character 7 (line 1, column"
                                + " 8)");
    }

    @Test
    void a_stray_closing_bracket_or_a_nul_is_content_too() {
        for (String tail : new String[] {"}", "]", "\u0000", ",", "//"}) {
            String doc = "{\"a\":1}  " + tail;
            var e =
                    catchThrowableOfType(
                            StrictJson.TrailingContentException.class,
                            () -> StrictJson.read(JSON, utf8(doc)));
            assertThat(e).as(tail).isNotNull();
            assertThat(e.offset()).as(tail).isEqualTo(9);
        }
    }
}
