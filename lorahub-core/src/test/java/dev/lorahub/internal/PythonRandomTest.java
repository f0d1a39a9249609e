package dev.lorahub.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Truth: CPython 3.11.7, {@code random.seed(seed); random.sample(range(n), k)} and {@code
 * getrandbits(32)}, printed once and pasted here.
 */
class PythonRandomTest {
    static Stream<Arguments> cpythonSamples() {
        return Stream.of(
                // the reference's draw of 20 modules from a pool of 196 (set algorithm)
                Arguments.of(
                        42L,
                        196,
                        20,
                        new int[] {
                            163, 28, 6, 189, 70, 62, 57, 35, 188, 26, 173, 139, 22, 151, 108, 8, 7,
                            23, 55, 59
                        }),
                Arguments.of(42L, 20, 5, new int[] {3, 0, 8, 7, 16}),
                // pool algorithm (n <= setsize = 85 for k = 20)
                Arguments.of(
                        42L,
                        30,
                        20,
                        new int[] {
                            20, 3, 0, 23, 8, 7, 24, 4, 28, 17, 2, 18, 13, 1, 27, 16, 21, 29, 25, 9
                        }),
                Arguments.of(0L, 1000, 7, new int[] {864, 394, 776, 911, 430, 41, 265}),
                // a seed wider than 32 bits is split into two key words
                Arguments.of((1L << 40) + 5, 50, 3, new int[] {32, 33, 17}),
                // Python seeds with |seed|
                Arguments.of(-7L, 10, 10, new int[] {5, 2, 6, 9, 0, 7, 4, 1, 3, 8}));
    }

    @ParameterizedTest
    @MethodSource("cpythonSamples")
    void sample_matches_cpython(long seed, int n, int k, int[] expected) {
        assertThat(new PythonRandom(seed).sample(n, k))
                .as("seed %d, sample(range(%d), %d)", seed, n, k)
                .containsExactly(expected);
    }

    @Test
    void getrandbits_matches_cpython_for_seed_42() {
        PythonRandom r = new PythonRandom(42);
        assertThat(new long[] {r.getrandbits(32), r.getrandbits(32), r.getrandbits(32)})
                .containsExactly(2746317213L, 478163327L, 107420369L);
    }
}
