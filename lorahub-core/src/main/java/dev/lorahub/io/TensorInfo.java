package dev.lorahub.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of a safetensors header: a tensor's name, element type, shape (row-major, {@code []}
 * for a scalar, zero-sized dimensions allowed) and its byte range {@code [begin, end)} relative to
 * the start of the data buffer (which follows the 8-byte length and the JSON header).
 *
 * <p>Invariant, checked here: {@code end - begin == numel() * dtype.byteSize()}.
 *
 * @param name the tensor's key in the header
 * @param dtype the element type
 * @param shape the dimensions (copied in and out)
 * @param begin first byte, relative to the data buffer, 64-bit
 * @param end one past the last byte, relative to the data buffer, 64-bit
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
    /** Validates and copies the shape. */
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "': data_offsets [" + begin + ", " + end + "] invalid");
        }
        long expected = byteLength(dtype, shape);
        if (expected < 0) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "': shape " + Arrays.toString(shape) + " overflows");
        }
        if (end - begin != expected) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "': " + sizeMismatch(begin, end, expected, dtype, shape));
        }
    }

    /**
     * The words for data offsets that do not hold {@code dtype x shape}, shared with the header.
     */
    static String sizeMismatch(long begin, long end, long expected, DType dtype, long[] shape) {
        return "data_offsets ["
                + begin
                + ", "
                + end
                + "] hold "
                + (end - begin)
                + " bytes, expected "
                + expected
                + " for "
                + dtype
                + " "
                + Arrays.toString(shape);
    }

    /**
     * @return a copy of the dimensions
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * @return the number of dimensions (0 for a scalar)
     */
    public int rank() {
        return shape.length;
    }

    /**
     * @return the number of elements: the product of the shape, 1 for a scalar
     */
    public long numel() {
        return numel(shape);
    }

    /**
     * @return {@code end - begin}, the number of data bytes
     */
    public long byteLength() {
        return end - begin;
    }

    /**
     * @param shape dimensions, each {@code >= 0}
     * @return the product of the dimensions, or -1 on a negative dimension or a long overflow
     */
    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                return -1;
            }
            if (d != 0 && n > Long.MAX_VALUE / d) {
                return -1; // like the reference, any overflowing prefix product is refused
            }
            n *= d;
        }
        return n;
    }

    /**
     * @return {@code numel(shape) * dtype.byteSize()}, or -1 on overflow
     */
    static long byteLength(DType dtype, long[] shape) {
        long n = numel(shape);
        if (n < 0 || n > Long.MAX_VALUE / dtype.byteSize()) {
            return -1;
        }
        return n * dtype.byteSize();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name)
                && dtype == t.dtype
                && Arrays.equals(shape, t.shape)
                && begin == t.begin
                && end == t.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
