package dev.lorahub.djl.gguf;

/**
 * One tensor of a GGUF file.
 *
 * @param name e.g. {@code blk.0.attn_q.weight}
 * @param type the ggml element type
 * @param ne ggml dimensions, {@code ne[0]} contiguous (copied)
 * @param absoluteOffset first byte in the file
 */
public record GgufTensor(String name, GgmlType type, long[] ne, long absoluteOffset) {
    /** Copies the dimensions. */
    public GgufTensor {
        ne = ne.clone();
    }

    /**
     * @return a copy of the ggml dimensions
     */
    @Override
    public long[] ne() {
        return ne.clone();
    }

    /**
     * @return the row-major shape: {@code ne} reversed, e.g. {@code [out, in]} for a matrix
     */
    public long[] shape() {
        long[] s = new long[ne.length];
        for (int i = 0; i < ne.length; i++) {
            s[i] = ne[ne.length - 1 - i];
        }
        return s;
    }

    /**
     * @return the number of elements
     */
    public long numel() {
        long n = 1;
        for (long d : ne) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * @return the stored size in bytes
     */
    public long byteLength() {
        return type.byteLength(numel());
    }
}
