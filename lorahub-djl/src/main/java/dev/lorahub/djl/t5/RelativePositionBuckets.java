package dev.lorahub.djl.t5;

/**
 * T5's relative position buckets (HF {@code T5Attention._relative_position_bucket}, from Mesh
 * TensorFlow).
 *
 * <p>With {@code relative = key_pos - query_pos}: a bidirectional stack (the encoder) gives half
 * the buckets to each sign ({@code relative > 0} adds {@code numBuckets / 2}) and uses {@code
 * |relative|}; a unidirectional stack (decoder self-attention) uses {@code max(-relative, 0)}, so
 * every future key shares bucket 0. With {@code n} buckets left and {@code maxExact = n / 2}, a
 * distance {@code d < maxExact} is its own bucket; larger ones are log-spaced, {@code maxExact +
 * floor(log(d / maxExact) / log(maxDistance / maxExact) * (n - maxExact))}, capped at {@code n -
 * 1}. The logarithm is evaluated in float32 in the same order as PyTorch, so that buckets agree
 * with HF at the boundaries.
 */
public final class RelativePositionBuckets {
    private RelativePositionBuckets() {}

    /**
     * @param relative {@code key_pos - query_pos}
     * @param bidirectional true for the encoder, false for decoder self-attention
     * @param numBuckets {@code relative_attention_num_buckets}
     * @param maxDistance {@code relative_attention_max_distance}
     * @return the bucket, in {@code [0, numBuckets)}
     */
    public static int bucket(int relative, boolean bidirectional, int numBuckets, int maxDistance) {
        int result = 0;
        int n = numBuckets;
        int distance;
        if (bidirectional) {
            n /= 2;
            if (relative > 0) {
                result += n;
            }
            distance = Math.abs(relative);
        } else {
            distance = -Math.min(relative, 0);
        }
        int maxExact = n / 2;
        if (distance < maxExact) {
            return result + distance;
        }
        float ratio = (float) distance / (float) maxExact;
        float logRatio = (float) Math.log(ratio);
        float scale = (float) Math.log((double) maxDistance / maxExact);
        float large = logRatio / scale * (float) (n - maxExact);
        int bucket = maxExact + (int) large;
        return result + Math.min(bucket, n - 1);
    }

    /**
     * The bucket of every (query, key) pair, row-major {@code [queryLength, keyLength]}, for
     * queries at positions {@code queryOffset .. queryOffset + queryLength - 1} and keys at {@code
     * 0 .. keyLength - 1}.
     *
     * @param queryOffset the position of the first query (the cache length when decoding)
     * @param queryLength the number of queries
     * @param keyLength the number of keys
     * @param bidirectional true for the encoder
     * @param numBuckets {@code relative_attention_num_buckets}
     * @param maxDistance {@code relative_attention_max_distance}
     * @return the buckets as longs (for an embedding lookup)
     */
    public static long[] matrix(
            int queryOffset,
            int queryLength,
            int keyLength,
            boolean bidirectional,
            int numBuckets,
            int maxDistance) {
        long[] out = new long[queryLength * keyLength];
        for (int q = 0; q < queryLength; q++) {
            for (int k = 0; k < keyLength; k++) {
                out[q * keyLength + k] =
                        bucket(k - (queryOffset + q), bidirectional, numBuckets, maxDistance);
            }
        }
        return out;
    }
}
