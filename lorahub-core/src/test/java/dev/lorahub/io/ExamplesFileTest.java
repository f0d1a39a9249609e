package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.FewShotExample;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The public examples reader: both layouts, both example kinds, one-line typed refusals. */
class ExamplesFileTest {
    @TempDir Path tmp;

    private Path write(String name, String text) throws Exception {
        Path f = tmp.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void reads_text_and_token_lines_in_order_skipping_blank_lines() throws Exception {
        Path f =
                write(
                        "mixed.jsonl",
                        "{\"input\": \"abc\", \"output\": \"cba\", \"note\": 1}\n\n"
                                + "{\"input_ids\": [1, 2, 3], \"labels\": [-100, 2, 3]}\r\n"
                                + "{\"input_ids\": [5, 6]}\n");
        List<FewShotExample> read = ExamplesFile.read(f);
        assertThat(read).hasSize(3);
        assertThat(read.get(0).input()).contains("abc");
        assertThat(read.get(0).output()).contains("cba");
        assertThat(read.get(1).inputIds())
                .hasValueSatisfying(a -> assertThat(a).containsExactly(1, 2, 3));
        assertThat(read.get(1).labels())
                .hasValueSatisfying(a -> assertThat(a).containsExactly(-100, 2, 3));
        assertThat(read.get(2).labels())
                .hasValueSatisfying(a -> assertThat(a).containsExactly(5, 6));
    }

    @Test
    void a_json_array_gives_the_same_examples_as_json_lines() throws Exception {
        Path lines =
                write("a.jsonl", "{\"input\": \"x\", \"output\": \"y\"}\n{\"input_ids\": [7]}\n");
        Path array =
                write(
                        "a.json",
                        "[\n  {\"input\": \"x\", \"output\": \"y\"},\n  {\"input_ids\": [7]}\n]\n");
        assertThat(ExamplesFile.read(array).toString())
                .isEqualTo(ExamplesFile.read(lines).toString());
    }

    @Test
    void a_wrongly_typed_value_is_refused_naming_file_line_key_and_value() throws Exception {
        Path f =
                write(
                        "t.jsonl",
                        "{\"input\": \"a\", \"output\": \"b\"}\n\n"
                            + "{\"input\": \"a\", \"output\": 12}\n");
        assertThatThrownBy(() -> ExamplesFile.read(f))
                .isInstanceOf(ExamplesFormatException.class)
                .hasMessage(f + ": line 3: key 'output': expected a string, got 12")
                .satisfies(
                        e -> {
                            ExamplesFormatException x = (ExamplesFormatException) e;
                            assertThat(x.line()).isEqualTo(3);
                            assertThat(x.key()).contains("output");
                            assertThat(x.file()).isEqualTo(f);
                        });
    }

    @Test
    void a_missing_key_is_refused_naming_it() throws Exception {
        Path f = write("m.jsonl", "{\"input\": \"a\"}\n");
        assertThatThrownBy(() -> ExamplesFile.read(f))
                .isInstanceOf(ExamplesFormatException.class)
                .hasMessageStartingWith(f + ": line 1: key 'output': missing;");
    }

    @Test
    void a_non_integer_id_is_refused_naming_the_key_and_element() throws Exception {
        Path f = write("i.jsonl", "{\"input_ids\": [1, 2], \"labels\": [1, 1.5]}\n");
        assertThatThrownBy(() -> ExamplesFile.read(f))
                .isInstanceOf(ExamplesFormatException.class)
                .hasMessage(f + ": line 1: key 'labels': element 1 is 1.5, not an integer id");
        Path g = write("j.jsonl", "{\"input_ids\": []}\n");
        assertThatThrownBy(() -> ExamplesFile.read(g))
                .hasMessage(
                        g
                                + ": line 1: key 'input_ids': expected a non-empty array of integer"
                                + " ids, got []");
    }

    @Test
    void a_line_that_is_not_one_json_object_is_refused_naming_the_line() throws Exception {
        Path f = write("n.jsonl", "{\"input\": \"a\", \"output\": \"b\"}\n{\"input\": \n");
        assertThatThrownBy(() -> ExamplesFile.read(f))
                .isInstanceOf(ExamplesFormatException.class)
                .hasMessageStartingWith(f + ": line 2: not JSON: ")
                .message()
                .doesNotContain("\n");
        Path g = write("g.jsonl", "{\"input\": \"a\", \"output\": \"b\"} trailing\n");
        // the object is 29 characters, then a space: "trailing" starts at column 31
        assertThatThrownBy(() -> ExamplesFile.read(g))
                .hasMessage(g + ": line 1: content after the JSON value at column 31");
        Path h = write("h.jsonl", "[1, 2]\n".replace("[", " ["));
        assertThatThrownBy(() -> ExamplesFile.read(h))
                .hasMessage(h + ": line 1: expected a JSON object, got 1");
        Path k = write("k.jsonl", "\"just a string\"\n");
        assertThatThrownBy(() -> ExamplesFile.read(k))
                .hasMessage(k + ": line 1: expected a JSON object, got \"just a string\"");
    }

    @Test
    void an_array_entry_is_blamed_on_the_line_it_starts_on() throws Exception {
        Path f =
                write(
                        "a.json",
                        "[\n"
                            + " {\"input\": \"a\", \"output\": \"b\"},\n\n"
                            + " {\"input\": \"a\",\n"
                            + "  \"output\": []}\n"
                            + "]");
        assertThatThrownBy(() -> ExamplesFile.read(f))
                .hasMessage(f + ": line 4: key 'output': expected a string, got []");
        Path g = write("b.json", "[\n {\"input\": \"a\", \"output\": \"b\"}\n] x");
        assertThatThrownBy(() -> ExamplesFile.read(g)).hasMessageStartingWith(g + ": line 3: ");
    }

    @Test
    void an_empty_file_and_invalid_utf8_are_refused() throws Exception {
        Path f = write("e.jsonl", "\n  \n");
        assertThatThrownBy(() -> ExamplesFile.read(f))
                .isInstanceOf(ExamplesFormatException.class)
                .hasMessage(f + ": no examples");
        Path g = tmp.resolve("u.jsonl");
        byte[] head =
                "{\"input\": \"a\", \"output\": \"b\"}\n{\"input\": \""
                        .getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[head.length + 1];
        System.arraycopy(head, 0, bytes, 0, head.length);
        bytes[head.length] = (byte) 0xC3; // a lead byte with no continuation
        Files.write(g, bytes);
        assertThatThrownBy(() -> ExamplesFile.read(g))
                .hasMessage(
                        g + ": line 2: not UTF-8: invalid byte 0xC3 at byte offset " + head.length);
    }

    @Test
    void read_text_refuses_token_ids_naming_their_line() throws Exception {
        Path f = write("x.jsonl", "{\"input\": \"a\", \"output\": \"b\"}\n{\"input_ids\": [3]}\n");
        assertThat(ExamplesFile.read(f)).hasSize(2);
        assertThatThrownBy(() -> ExamplesFile.readText(f))
                .isInstanceOf(ExamplesFormatException.class)
                .hasMessage(
                        f
                                + ": line 2: key 'input_ids': expected a text example"
                                + " {\"input\", \"output\"}, not token ids");
    }

    @Test
    void a_long_value_is_shortened_so_the_refusal_stays_one_short_line() throws Exception {
        Path f =
                write(
                        "l.jsonl",
                        "{\"input\": \"a\", \"output\": [" + "1,".repeat(500_000) + "1]}\n");
        assertThatThrownBy(() -> ExamplesFile.read(f))
                .message()
                .hasSizeLessThan(f.toString().length() + 90)
                .endsWith("1,1,1,...");
    }
}
