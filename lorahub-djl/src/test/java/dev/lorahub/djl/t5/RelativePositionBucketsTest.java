package dev.lorahub.djl.t5;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RelativePositionBucketsTest {
    /**
     * First distance of each bucket for 32 buckets and max distance 128, as HF's
     * _relative_position_bucket computes them in float32 (evaluated with a numpy float32
     * transcription of the HF function, distances 0..299). Encoder (bidirectional), keys after the
     * query: bucket 16 + b; keys before: bucket b.
     */
    private static final int[][] BIDIRECTIONAL_STARTS = {
        {17, 1}, {18, 2}, {19, 3}, {20, 4}, {21, 5}, {22, 6}, {23, 7}, {24, 8}, {25, 12}, {26, 16},
        {27, 23}, {28, 32}, {29, 46}, {30, 64}, {31, 91}
    };

    /** Same for the decoder (unidirectional), keys before the query at distance d. */
    private static final int[][] UNIDIRECTIONAL_STARTS = {
        {16, 16}, {17, 19}, {18, 21}, {19, 24}, {20, 27}, {21, 31}, {22, 35}, {23, 40}, {24, 46},
        {25, 52}, {26, 59}, {27, 67}, {28, 77}, {29, 87}, {30, 99}, {31, 113}
    };

    @Test
    void encoder_buckets_start_where_hf_starts_them_on_both_sides() {
        for (int i = 0; i < BIDIRECTIONAL_STARTS.length; i++) {
            int bucket = BIDIRECTIONAL_STARTS[i][0];
            int start = BIDIRECTIONAL_STARTS[i][1];
            int end = i + 1 < BIDIRECTIONAL_STARTS.length ? BIDIRECTIONAL_STARTS[i + 1][1] : 300;
            for (int d = start; d < end; d++) {
                assertThat(RelativePositionBuckets.bucket(d, true, 32, 128))
                        .as("key after query by " + d)
                        .isEqualTo(bucket);
                assertThat(RelativePositionBuckets.bucket(-d, true, 32, 128))
                        .as("key before query by " + d)
                        .isEqualTo(bucket - 16);
            }
        }
        assertThat(RelativePositionBuckets.bucket(0, true, 32, 128)).isZero();
    }

    @Test
    void decoder_buckets_are_exact_below_16_then_log_spaced_and_ignore_the_future() {
        for (int d = 0; d < 16; d++) {
            assertThat(RelativePositionBuckets.bucket(-d, false, 32, 128)).isEqualTo(d);
            assertThat(RelativePositionBuckets.bucket(d, false, 32, 128))
                    .as("future key at +" + d)
                    .isZero();
        }
        for (int i = 0; i < UNIDIRECTIONAL_STARTS.length; i++) {
            int end = i + 1 < UNIDIRECTIONAL_STARTS.length ? UNIDIRECTIONAL_STARTS[i + 1][1] : 300;
            for (int d = UNIDIRECTIONAL_STARTS[i][1]; d < end; d++) {
                assertThat(RelativePositionBuckets.bucket(-d, false, 32, 128))
                        .as("distance " + d)
                        .isEqualTo(UNIDIRECTIONAL_STARTS[i][0]);
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void buckets_are_in_range_and_monotone_in_distance(long seed) {
        Random random = new Random(seed);
        int buckets = 4 + 2 * random.nextInt(30);
        int maxDistance = buckets + random.nextInt(300);
        boolean bidirectional = random.nextBoolean();
        int previous = -1;
        for (int d = 0; d < 2 * maxDistance; d++) {
            int b = RelativePositionBuckets.bucket(-d, bidirectional, buckets, maxDistance);
            int limit = bidirectional ? buckets / 2 : buckets;
            assertThat(b)
                    .as("seed %d, d %d", seed, d)
                    .isBetween(0, limit - 1)
                    .isGreaterThanOrEqualTo(previous);
            previous = b;
        }
        assertThat(previous)
                .as("seed %d: far keys share the last bucket", seed)
                .isEqualTo((bidirectional ? buckets / 2 : buckets) - 1);
    }

    @Test
    void matrix_offsets_queries_for_cached_decoding() {
        long[] full = RelativePositionBuckets.matrix(0, 5, 5, false, 32, 128);
        long[] lastRow = RelativePositionBuckets.matrix(4, 1, 5, false, 32, 128);
        assertThat(lastRow)
                .containsExactly(IntStream.range(20, 25).mapToLong(i -> full[i]).toArray());
    }
}
