package dev.lorahub.djl.tokenizers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.djl.ModelFormatException;
import dev.lorahub.testing.JsonMutator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Hostile variants ({@link JsonMutator}: wrong types, huge numbers, 10^6-character strings, deep
 * nesting, invalid UTF-8, flipped bytes, truncation, deleted keys, trailing garbage) of three
 * {@code tokenizer.json} files, one per model type the backends load: word-level (the embedded
 * hub's), LLaMA's SentencePiece BPE with byte fallback and T5's Unigram (small hand-written files
 * in tokenizers 0.21's serialization, see src/test/resources/tokenizers). Each is opened, used to
 * encode and decode, or refused with a one-line {@link ModelFormatException} naming the file,
 * within 20 s. The native library runs in this JVM: an abort (exit 134, which it did on seeds 42,
 * 497 and 688 of the word-level file before {@link TokenizerJson} was added) kills the test run.
 * Trailing garbage must be refused, saying where the content after the JSON value starts.
 */
class TokenizerJsonFuzzTest {
    /** 3 files x 3,400 = 10,200 mutants. */
    private static final int CASES = 3400;

    @TempDir Path tmp;

    @ParameterizedTest
    @CsvSource({
        "wordlevel-tokenizer.json, 0",
        "llama-bpe-tokenizer.json, 100000",
        "t5-unigram-tokenizer.json, 200000"
    })
    void every_mutant_is_read_or_refused_in_one_line(String resource, long firstSeed)
            throws Exception {
        byte[] valid;
        try (InputStream in = getClass().getResourceAsStream("/tokenizers/" + resource)) {
            valid = in.readAllBytes();
        }
        Path file = tmp.resolve("tokenizer.json");
        long base = firstSeed;
        JsonMutator.Tally tally = new JsonMutator.Tally();
        long t0 = System.nanoTime();
        for (int i = 0; i < CASES; i++) {
            long seed = base + i;
            tally.check(
                    file,
                    JsonMutator.mutate(valid, false, seed),
                    seed,
                    ModelFormatException.class,
                    () -> roundTrip(file));
        }
        System.out.printf(
                "%s: %s (seeds %d..%d, %d s)%n",
                resource, tally, base, base + CASES - 1, (System.nanoTime() - t0) / 1_000_000_000L);
        tally.assertNoFailures();
        assertThat(tally.refused()).as("%s", tally).isGreaterThan(CASES / 2);
    }

    private static Object roundTrip(Path file) throws IOException {
        try (HfTextTokenizer t = HfTextTokenizer.open(file)) {
            int[] ids = t.encode("hello world <rev> 123", true);
            t.decode(ids);
            return ids;
        }
    }
}
