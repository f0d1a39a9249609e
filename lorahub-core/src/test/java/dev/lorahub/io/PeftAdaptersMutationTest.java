package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.LoraModule;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded corruption of a real PEFT folder (hf-tiny/llama adapter_0): bit flips, truncations and
 * byte edits in the weights file's header and data, and character edits in adapter_config.json.
 * Every folder must either load or be refused with AdapterFormatException: no other exception.
 */
class PeftAdaptersMutationTest {
    private static final int PER_SEED = 50;

    @TempDir Path tmp;

    static LongStream seeds() {
        return LongStream.range(0, 20);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void corrupted_folders_load_or_fail_with_adapter_format_exception(long seed)
            throws IOException {
        Path src = TestData.require("hf-tiny/llama").resolve("adapters/adapter_0");
        byte[] weights = Files.readAllBytes(src.resolve("adapter_model.safetensors"));
        byte[] config = Files.readAllBytes(src.resolve("adapter_config.json"));
        long headerEnd = 8 + (weights[0] & 0xFF) + ((weights[1] & 0xFF) << 8);
        SplittableRandom rnd = new SplittableRandom(seed);
        int loaded = 0;
        int refused = 0;
        for (int k = 0; k < PER_SEED; k++) {
            byte[] w = weights.clone();
            byte[] c = config.clone();
            String what;
            switch (rnd.nextInt(5)) {
                case 0 -> {
                    int flips = 1 + rnd.nextInt(8);
                    for (int i = 0; i < flips; i++) {
                        int at = rnd.nextInt((int) headerEnd);
                        w[at] ^= (byte) (1 << rnd.nextInt(8));
                    }
                    what = flips + " header bit flips";
                }
                case 1 -> {
                    int at = 8 + rnd.nextInt((int) headerEnd - 8);
                    w[at] = (byte) "0123456789[],:\"{} ".charAt(rnd.nextInt(18));
                    what = "header byte " + at + " replaced";
                }
                case 2 -> {
                    int len = rnd.nextInt(w.length);
                    w = java.util.Arrays.copyOf(w, len);
                    what = "truncated to " + len;
                }
                case 3 -> {
                    int at = (int) headerEnd + rnd.nextInt(w.length - (int) headerEnd);
                    w[at] ^= (byte) (1 << rnd.nextInt(8));
                    what = "data bit flip at " + at;
                }
                default -> {
                    String s = new String(c, StandardCharsets.UTF_8);
                    int at = rnd.nextInt(s.length());
                    String repl = String.valueOf("0-9.\"{}[]:,xe ntf".charAt(rnd.nextInt(17)));
                    s =
                            s.substring(0, at)
                                    + (rnd.nextBoolean() ? repl : "")
                                    + s.substring(Math.min(s.length(), at + 1));
                    c = s.getBytes(StandardCharsets.UTF_8);
                    what = "config edit at " + at;
                }
            }
            Path dir = tmp.resolve("m" + seed + "-" + k);
            Files.createDirectory(dir);
            Files.write(dir.resolve("adapter_model.safetensors"), w);
            Files.write(dir.resolve("adapter_config.json"), c);
            try {
                LoraModule m = LoraModule.load(dir);
                assertThat(m.layers()).as("seed %d case %d (%s)", seed, k, what).isNotEmpty();
                loaded++;
            } catch (AdapterFormatException e) {
                assertThat(e.getMessage())
                        .as("seed %d case %d (%s)", seed, k, what)
                        .startsWith(dir.toString());
                refused++;
            } catch (RuntimeException | IOException e) {
                throw new AssertionError(
                        "seed " + seed + " case " + k + " (" + what + "): " + e, e);
            }
        }
        // (loaded + refused == PER_SEED holds by construction; what says the mutations bite is
        // that both outcomes occur: data flips load, most header and config edits are refused)
        assertThat(loaded).as("seed %d: loaded of %d", seed, PER_SEED).isPositive();
        assertThat(refused).as("seed %d: refused of %d", seed, PER_SEED).isPositive();
    }
}
