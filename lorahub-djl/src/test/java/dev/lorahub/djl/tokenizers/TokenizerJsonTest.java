package dev.lorahub.djl.tokenizers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.djl.ModelFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One test per input that aborted the JVM or hung in the native tokenizers library before {@link
 * TokenizerJson} checked files first (found by {@link TokenizerJsonFuzzTest}'s mutants in a child
 * JVM, exit 134), and per limit: each is refused in one line naming the file and the key.
 */
class TokenizerJsonTest {
    private static final String VALID = HfTextTokenizerTest.WORD_LEVEL;

    @TempDir Path tmp;

    private Path write(String json) throws IOException {
        return Files.writeString(tmp.resolve("tokenizer.json"), json);
    }

    /** The 1-based line of VALID where {@code text} first appears. */
    private static long lineOf(String text) {
        return VALID.substring(0, VALID.indexOf(text)).chars().filter(c -> c == '\n').count() + 1;
    }

    private void assertRefused(Path file, String message) {
        assertThatThrownBy(() -> HfTextTokenizer.open(file))
                .isInstanceOf(ModelFormatException.class)
                .hasMessage(file + ": " + message);
    }

    @Test
    void a_valid_file_and_the_three_model_types_open() throws Exception {
        TokenizerJson.check(write(VALID));
        for (String r :
                new String[] {
                    "wordlevel-tokenizer.json", "llama-bpe-tokenizer.json", "t5-unigram-tokenizer.json"
                }) {
            Path f = tmp.resolve(r);
            Files.write(f, getClass().getResourceAsStream("/tokenizers/" + r).readAllBytes());
            try (HfTextTokenizer t = HfTextTokenizer.open(f)) {
                assertThat(t.decode(t.encode("hello world", false))).as(r).isEqualTo("hello world");
            }
        }
    }

    @Test
    void a_syntax_error_inside_the_decoder_is_refused_naming_where() throws IOException {
        // panicked at decoders/mod.rs:90 ("Helper: expected `:`"), exit 134
        Path f = write(VALID.replace("\"decoder\": null", "\"decoder\": {\"type\"O: \"Fuse\"}"));
        assertThatThrownBy(() -> HfTextTokenizer.open(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(
                        f + ": not strict JSON at /decoder/type (line " + lineOf("\"decoder\"") + ",")
                .hasMessageContaining("was expecting a colon");
    }

    @Test
    void invalid_utf8_in_a_special_token_name_is_refused_naming_the_byte() throws IOException {
        // Jackson reads such a key; the library read it as "<s\uFFFD>", so the template's "<s>"
        // matched nothing: panicked at processors/template.rs:563 when encoding, exit 134
        byte[] bytes = VALID.getBytes(StandardCharsets.UTF_8);
        String key = "\"special_tokens\": {\"<s";
        int at = VALID.indexOf(key) + key.length();
        bytes[at] = (byte) 0xC0;
        Path f = Files.write(tmp.resolve("tokenizer.json"), bytes);
        int line = (int) VALID.substring(0, at).chars().filter(c -> c == '\n').count() + 1;
        assertRefused(f, "not UTF-8: invalid byte 0xC0 at byte offset " + at + " (line " + line + ")");
    }

    @Test
    void a_template_naming_a_special_token_not_declared_is_refused() throws IOException {
        // panicked at processors/template.rs:563 when encoding, exit 134
        Path f =
                write(
                        VALID.replace(
                                "\"special_tokens\": {\"<s>\": {\"id\": \"<s>\", \"ids\": [0],"
                                        + " \"tokens\": [\"<s>\"]}}",
                                "\"special_tokens\": {}"));
        assertRefused(
                f,
                "post_processor.single[0].SpecialToken.id names no entry of special_tokens, got"
                        + " \"<s>\"");
    }

    @Test
    void a_special_token_with_fewer_tokens_than_ids_is_refused() throws IOException {
        Path f = write(VALID.replace("\"ids\": [0]", "\"ids\": [0, 4]"));
        assertThatThrownBy(() -> HfTextTokenizer.open(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(
                        f
                                + ": post_processor.special_tokens[\"<s>\"] must be {id: string,"
                                + " ids: [...], tokens: [...]} of equal lengths, got");
    }

    @Test
    void a_number_out_of_double_range_is_refused_naming_its_key() throws IOException {
        // serde_json: "number out of range" inside the decoder's helper, a panic
        Path f = write(VALID.replace("\"decoder\": null", "\"decoder\": {\"type\": \"Fuse\", \"x\": 1e999}"));
        assertRefused(f, "decoder.x must be a finite number");
    }

    @Test
    void nesting_deeper_than_the_limit_is_refused_before_the_native_parser() throws IOException {
        // serde_json's recursion limit (128) inside the pre-tokenizer's helper is a panic
        String deep = "[".repeat(200) + "]".repeat(200);
        Path f = write(VALID.replace("{\"type\": \"Whitespace\"}", "{\"type\": \"Whitespace\", \"x\": " + deep + "}"));
        assertThatThrownBy(() -> HfTextTokenizer.open(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(f + ": not strict JSON at /pre_tokenizer/x/0/0/0/0/")
                .hasMessageContaining("nesting depth (65) exceeds the maximum allowed (64");
    }

    @Test
    void a_million_character_added_token_is_refused_instead_of_hanging() throws IOException {
        // the library spent over 10 minutes on it (killed)
        Path f = write(VALID.replace("\"content\": \"<s>\"", "\"content\": \"" + "a".repeat(1_000_000) + "\""));
        assertThatThrownBy(() -> HfTextTokenizer.open(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(
                        f
                                + ": not strict JSON at /added_tokens/0/content (line "
                                + lineOf("\"content\"")
                                + ",")
                .hasMessageContaining("exceeds the maximum allowed (4096");
    }

    @Test
    void ids_that_are_not_32_bit_non_negative_integers_are_refused_naming_the_token()
            throws IOException {
        assertRefused(
                write(VALID.replace("\"hello\": 2", "\"hello\": 2147483648")),
                "model.vocab[\"hello\"] must be an integer id in [0, 2^31), got 2147483648");
        assertRefused(
                write(VALID.replace("\"hello\": 2", "\"hello\": -2")),
                "model.vocab[\"hello\"] must be an integer id in [0, 2^31), got -2");
        assertRefused(
                write(VALID.replace("[{\"id\": 0,", "[{\"id\": \"0\",")),
                "added_tokens[0].id must be an integer id in [0, 2^31), got \"0\"");
    }

    @Test
    void content_after_the_root_and_duplicate_keys_are_refused() throws IOException {
        Path f = write(VALID + "{}");
        assertThatThrownBy(() -> HfTextTokenizer.open(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(
                        f
                                + ": not strict JSON: content after the JSON value at character "
                                + VALID.length()
                                + " (line ");
        Path g = write(VALID.replace("\"hello\": 2", "\"hello\": 2, \"hello\": 3"));
        assertThatThrownBy(() -> HfTextTokenizer.open(g))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(g + ": not strict JSON at /model/vocab/hello")
                .hasMessageContaining("Duplicate field 'hello'");
    }

    @Test
    void an_unknown_model_type_is_refused() throws IOException {
        assertRefused(
                write(VALID.replace("\"type\": \"WordLevel\"", "\"type\": \"Magic\"")),
                "model.type must be BPE, WordPiece, WordLevel or Unigram, got \"Magic\"");
    }

    @Test
    void an_unknown_token_missing_from_the_vocabulary_is_refused() throws IOException {
        // loaded, then "WordLevel error: Missing [UNK] token" on the first unknown word (the fuzz
        // found it, seed 2108; Unigram without unk_id: "unknown token but `unk_id` is missing")
        assertRefused(
                write(VALID.replace("\"unk_token\": \"[UNK]\"", "\"unk_token\": \"[NOPE]\"")),
                "model.unk_token must be a token of model.vocab, got \"[NOPE]\"");
        assertRefused(
                write(VALID.replace("\"unk_token\": \"[UNK]\"", "\"unk_token\": null")),
                "model.unk_token must be a string, got null");
    }
}
