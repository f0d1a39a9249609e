package dev.lorahub.djl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.djl.llama.LlamaConfig;
import dev.lorahub.djl.t5.T5Config;
import dev.lorahub.testing.JsonMutator;
import dev.lorahub.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile variants ({@link JsonMutator}: wrong types, huge numbers, 10^6-character strings, deep
 * nesting, invalid UTF-8, flipped bytes, truncation, deleted keys, trailing garbage) of a LLaMA
 * and a T5 {@code config.json}: each is read or refused with a
 * {@link ModelFormatException} whose one-line message starts with the file, within 20 s. Trailing
 * garbage must be refused, saying where the content after the JSON value starts.
 */
class ConfigFilesFuzzTest {
    private static final int CONFIG_CASES = 5_000;
    private static final long SEED = 14_100L;

    @TempDir Path tmp;

    @Test
    void llama_config_json_mutants_are_read_or_refused_in_one_line() throws Exception {
        byte[] valid =
                Files.readAllBytes(TestData.require("hf-tiny/llama").resolve("model/config.json"));
        Path file = tmp.resolve("config.json");
        JsonMutator.Tally tally = new JsonMutator.Tally();
        for (int i = 0; i < CONFIG_CASES; i++) {
            long seed = SEED + i;
            tally.check(
                    file,
                    JsonMutator.mutate(valid, false, seed),
                    seed,
                    ModelFormatException.class,
                    () -> LlamaConfig.read(file));
        }
        System.out.println("llama config.json: " + tally);
        tally.assertNoFailures();
        assertThat(tally.refused()).as("%s", tally).isGreaterThan(CONFIG_CASES / 2);
    }

    @Test
    void t5_config_json_mutants_are_read_or_refused_in_one_line() throws Exception {
        byte[] valid =
                Files.readAllBytes(TestData.require("hf-tiny/t5").resolve("model/config.json"));
        Path file = tmp.resolve("config.json");
        JsonMutator.Tally tally = new JsonMutator.Tally();
        for (int i = 0; i < CONFIG_CASES; i++) {
            long seed = SEED + 10_000 + i;
            tally.check(
                    file,
                    JsonMutator.mutate(valid, false, seed),
                    seed,
                    ModelFormatException.class,
                    () -> T5Config.read(file));
        }
        System.out.println("t5 config.json: " + tally);
        tally.assertNoFailures();
        assertThat(tally.refused()).as("%s", tally).isGreaterThan(CONFIG_CASES / 2);
    }
}
