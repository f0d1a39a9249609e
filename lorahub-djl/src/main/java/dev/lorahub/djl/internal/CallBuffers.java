package dev.lorahub.djl.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.UUID;

/**
 * Float arrays filled in Java and handed to libtorch without a copy, whose native memory is freed
 * when the manager that owns them closes, not when a garbage collection happens to find the
 * buffer.
 *
 * <p>DJL's {@code create(float[])} copies into a direct buffer that the tensor then aliases; that
 * buffer's memory comes back only after a collection. Per LoraHub evaluation on flan-t5-large the
 * side-branch factors are 19 MB of such buffers, and with a heap that collects every few
 * evaluations they pile up in native memory (NMT's "Other" at 153 MB in a 40-evaluation {@code
 * learn}). Here the caller writes into the buffer itself, the tensor aliases it, and closing the
 * manager frees it ({@link DirectMemory#free}).
 */
public final class CallBuffers {
    private CallBuffers() {}

    /**
     * Zeroed floats the manager frees when it closes.
     *
     * @param manager the owner (a per-call manager)
     * @param count how many floats
     * @return the floats; fill {@link Floats#values} with absolute {@code put}s, then make the
     *     array with {@link Floats#tensor}
     */
    public static Floats floats(NDManager manager, int count) {
        ByteBuffer bytes =
                ByteBuffer.allocateDirect(Math.multiplyExact(count, Float.BYTES))
                        .order(ByteOrder.nativeOrder());
        // closing the manager closes its arrays too, in no set order; that is safe, as deleting a
        // tensor made over a blob does not touch the blob
        manager.attachInternal(UUID.randomUUID().toString(), () -> DirectMemory.free(bytes));
        return new Floats(manager, bytes, bytes.asFloatBuffer());
    }

    /**
     * Direct floats owned by a manager.
     *
     * @param manager the owner
     * @param bytes the memory
     * @param values the same memory as floats, for writing
     */
    public record Floats(NDManager manager, ByteBuffer bytes, FloatBuffer values) {
        /**
         * @param shape the shape, {@code values.capacity()} elements
         * @return a float32 array over the buffer, no copy, in the owning manager
         */
        public NDArray tensor(Shape shape) {
            return manager.create(bytes, shape, DataType.FLOAT32);
        }
    }
}
