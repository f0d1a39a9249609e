package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.testing.JsonMutator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile JSON Lines example files: 10,000 variants ({@link JsonMutator}, one line mutated: wrong
 * types, huge numbers, 10^6-character lines, deep nesting, invalid UTF-8, flipped bytes,
 * truncation, deleted keys, trailing garbage), each read or refused with an {@link
 * FileFormatException} whose one-line message starts with the file, within 20 s. Garbage after a
 * line's object must be refused, naming the column where it starts.
 */
class ExamplesFileFuzzTest {
    private static final int CASES = 10_000;
    private static final long SEED = 14_200L;
    private static final String VALID =
            """
            {"input": "abc", "output": "cba"}
            {"input_ids": [1, 2, 3, 4], "labels": [-100, -100, 3, 4]}
            {"input": "hello", "output": "olleh"}
            {"input_ids": [5, 6, 7]}
            {"input": "x", "output": "y"}
            """;

    @TempDir Path tmp;

    @Test
    void every_mutant_is_read_or_refused_in_one_line_naming_the_file() throws Exception {
        byte[] valid = VALID.getBytes(StandardCharsets.UTF_8);
        Path file = tmp.resolve("examples.jsonl");
        JsonMutator.Tally tally = new JsonMutator.Tally();
        for (int i = 0; i < CASES; i++) {
            long seed = SEED + i;
            tally.check(
                    file,
                    JsonMutator.mutate(valid, true, seed),
                    seed,
                    FileFormatException.class,
                    () -> ExamplesFile.read(file));
        }
        System.out.println("examples .jsonl: " + tally);
        tally.assertNoFailures();
        assertThat(tally.refused()).as("%s", tally).isGreaterThan(CASES / 3);
    }

    @Test
    void invalid_utf8_is_refused_naming_the_line_the_byte_and_its_offset() throws Exception {
        Path file = tmp.resolve("bad.jsonl");
        byte[] head = "{\"input\": \"a\", \"output\": \"b\"}\n{\"input\": \"".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[head.length + 1];
        System.arraycopy(head, 0, bytes, 0, head.length);
        bytes[head.length] = (byte) 0xFF;
        Files.write(file, bytes);
        assertThatThrownBy(() -> ExamplesFile.read(file))
                .isInstanceOf(FileFormatException.class)
                .hasMessage(
                        file
                                + ": line 2: not UTF-8: invalid byte 0xFF at byte offset "
                                + head.length);
    }

    @Test
    void a_million_character_id_is_named_shortened() throws Exception {
        Path file = tmp.resolve("long.jsonl");
        Files.writeString(file, "{\"input_ids\": [1, \"" + "7".repeat(1_000_000) + "\"]}\n");
        assertThatThrownBy(() -> ExamplesFile.read(file))
                .isInstanceOf(FileFormatException.class)
                .hasMessage(
                        file
                                + ": line 1: key 'input_ids': element 1 is \""
                                + "7".repeat(36)
                                + "..., not an integer id");
    }

    @Test
    void a_million_character_text_line_is_read_whole() throws Exception {
        Path file = tmp.resolve("long-text.jsonl");
        String input = "x".repeat(1_000_000);
        Files.writeString(file, "{\"input\": \"" + input + "\", \"output\": \"y\"}\n");
        assertThat(ExamplesFile.read(file).get(0).input()).contains(input);
    }
}
