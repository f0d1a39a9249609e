package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.testing.JsonMutator;
import dev.lorahub.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000 hostile variants of a PEFT {@code adapter_config.json} ({@link JsonMutator}: wrong types,
 * huge numbers, 10^6-character strings, deep nesting, invalid UTF-8, flipped bytes, truncation,
 * deleted keys, trailing garbage): {@link AdapterConfig#read} reads each or refuses it with an
 * {@link AdapterFormatException} whose one-line message starts with the file, within 20 s. Trailing
 * garbage (a second object, a stray bracket, after optional whitespace) must be refused, saying
 * where the content after the JSON value starts.
 */
class AdapterConfigFuzzTest {
    private static final int CASES = 10_000;
    private static final long SEED = 14_000L;

    @TempDir Path tmp;

    @Test
    void every_mutant_is_read_or_refused_in_one_line_naming_the_file() throws Exception {
        byte[] valid =
                Files.readAllBytes(
                        TestData.require("hf-tiny/llama")
                                .resolve("adapters/adapter_0/adapter_config.json"));
        Path file = tmp.resolve("adapter_config.json");
        JsonMutator.Tally tally = new JsonMutator.Tally();
        for (int i = 0; i < CASES; i++) {
            long seed = SEED + i;
            tally.check(
                    file,
                    JsonMutator.mutate(valid, false, seed),
                    seed,
                    AdapterFormatException.class,
                    () -> AdapterConfig.read(file));
        }
        System.out.println("adapter_config.json: " + tally);
        tally.assertNoFailures();
        assertThat(tally.refused()).as("%s", tally).isGreaterThan(CASES / 2);
    }
}
