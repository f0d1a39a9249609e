package dev.lorahub.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A named tensor ready to be written: element type, shape and its little-endian bytes. Immutable:
 * the factories copy (or encode) the caller's array, and {@link #bytes()} is a read-only view.
 */
public final class TensorData {
    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final byte[] data;

    private TensorData(String name, DType dtype, long[] shape, byte[] data) {
        this.name = Objects.requireNonNull(name, "name");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.data = data;
        if (name.equals("__metadata__")) {
            throw new IllegalArgumentException("'__metadata__' is reserved, not a tensor name");
        }
        long expected = TensorInfo.byteLength(dtype, this.shape);
        if (expected != data.length) {
            throw new IllegalArgumentException(
                    "tensor '"
                            + name
                            + "': "
                            + dtype
                            + " "
                            + Arrays.toString(this.shape)
                            + " needs "
                            + (expected < 0 ? "an overflowing number of" : String.valueOf(expected))
                            + " bytes, got "
                            + data.length);
        }
    }

    /**
     * @param name the tensor's key, e.g. {@code base_model.model.x.lora_A.weight}
     * @param shape dimensions, row-major; {@code values.length} must equal their product
     * @param values the elements (not retained)
     * @param storeAs F32, F64 (exact), F16 or BF16 (rounded to nearest even)
     * @return the tensor encoded in {@code storeAs}
     */
    public static TensorData ofFloats(String name, long[] shape, float[] values, DType storeAs) {
        Objects.requireNonNull(storeAs, "storeAs");
        requireNonNegative(name, shape);
        long numel = TensorInfo.numel(shape);
        if (numel != values.length) {
            throw new IllegalArgumentException(
                    "tensor '"
                            + name
                            + "': shape "
                            + Arrays.toString(shape)
                            + " has "
                            + numel
                            + " elements, got "
                            + values.length
                            + " values");
        }
        if (!storeAs.isConvertibleToFloat32()) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "': cannot store floats as " + storeAs);
        }
        return new TensorData(name, storeAs, shape, FloatCodec.encode(values, storeAs));
    }

    /**
     * @param name the tensor's key
     * @param dtype any element type
     * @param shape dimensions, row-major
     * @param littleEndian exactly {@code numel * dtype.byteSize()} bytes (copied)
     * @return the tensor
     */
    public static TensorData ofRaw(String name, DType dtype, long[] shape, byte[] littleEndian) {
        requireNonNegative(name, shape);
        return new TensorData(name, dtype, shape, littleEndian.clone());
    }

    /** Takes ownership of {@code littleEndian} (callers inside this package that just made it). */
    static TensorData wrap(String name, DType dtype, long[] shape, byte[] littleEndian) {
        return new TensorData(name, dtype, shape, littleEndian);
    }

    /**
     * @return the tensor's key
     */
    public String name() {
        return name;
    }

    /**
     * @return the element type
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * @return a copy of the dimensions
     */
    public long[] shape() {
        return shape.clone();
    }

    /**
     * @return the number of elements (1 for a scalar)
     */
    public long numel() {
        return TensorInfo.numel(shape);
    }

    /**
     * @return the number of data bytes, {@code numel() * dtype().byteSize()}
     */
    public int byteLength() {
        return data.length;
    }

    /**
     * @return a read-only little-endian view of the data bytes
     */
    public ByteBuffer bytes() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * @return the elements as float32 (F16/BF16 exact, F64 rounded to nearest)
     * @throws IllegalArgumentException for non-float types
     */
    public float[] toFloats() {
        if (!dtype.isConvertibleToFloat32()) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "' is " + dtype + ", not a float type");
        }
        float[] out = new float[data.length / dtype.byteSize()];
        FloatCodec.decode(ByteBuffer.wrap(data), dtype, out, 0, out.length);
        return out;
    }

    /**
     * @return a new tensor with the same type, shape and bytes under another name
     */
    public TensorData withName(String newName) {
        return new TensorData(newName, dtype, shape, data);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape);
    }

    private static void requireNonNegative(String name, long[] shape) {
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException(
                        "tensor '"
                                + name
                                + "': shape "
                                + Arrays.toString(shape)
                                + " has the negative dimension "
                                + shape[i]
                                + " at index "
                                + i);
            }
        }
    }
}
