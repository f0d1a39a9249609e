package dev.lorahub.io.gguf;

import org.jspecify.annotations.Nullable;

/**
 * One tensor of a GGUF file, as its tensor info describes it.
 *
 * @param name e.g. {@code blk.0.attn_q.weight}
 * @param type the ggml element type
 * @param ne ggml dimensions, {@code ne[0]} contiguous (copied)
 * @param absoluteOffset first byte in the file
 * @param byteLength stored bytes
 */
public record GgufTensor(String name, GgmlType type, long[] ne, long absoluteOffset, long byteLength) {
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
     * @return the number of elements (the file was refused if it overflows)
     */
    public long numel() {
        long n = 1;
        for (long d : ne) {
            n *= d;
        }
        return n;
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof GgufTensor t
                && name.equals(t.name)
                && type == t.type
                && java.util.Arrays.equals(ne, t.ne)
                && absoluteOffset == t.absoluteOffset
                && byteLength == t.byteLength;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + java.util.Arrays.hashCode(ne);
    }

    @Override
    public String toString() {
        return name
                + " "
                + type
                + " ne "
                + java.util.Arrays.toString(ne)
                + " at "
                + absoluteOffset
                + " ("
                + byteLength
                + " bytes)";
    }
}
