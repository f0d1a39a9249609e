package dev.lorahub.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor a {@link TensorFile} holds: its name, element type and shape (row-major, {@code []} for
 * a scalar).
 *
 * @param name the tensor's key
 * @param dtype the element type it is stored in
 * @param shape the dimensions (copied in and out)
 */
public record TensorEntry(String name, DType dtype, long[] shape) {
    /** Copies the shape. */
    public TensorEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
    }

    /**
     * @return a copy of the dimensions
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * @return the number of dimensions
     */
    public int rank() {
        return shape.length;
    }

    /**
     * @return the product of the dimensions (1 for a scalar)
     */
    public long numel() {
        return TensorInfo.numel(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorEntry t
                && name.equals(t.name)
                && dtype == t.dtype
                && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape));
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape);
    }
}
