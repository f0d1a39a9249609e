package dev.lorahub.djl.internal;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;
import sun.misc.Unsafe;

/**
 * Frees a direct buffer's native memory now, instead of whenever a garbage collection finds the
 * buffer unreachable: {@code sun.misc.Unsafe.invokeCleaner}, from the {@code jdk.unsupported}
 * module that every JDK 17 exports. Where it is missing the buffer is left to the collector.
 */
public final class DirectMemory {
    private static final @Nullable Unsafe UNSAFE = unsafe();

    private DirectMemory() {}

    /**
     * @param buffer a direct buffer made by {@link ByteBuffer#allocateDirect} (not a slice or
     *     duplicate) that nothing reads or writes any more, tensors over it included
     */
    public static void free(ByteBuffer buffer) {
        Unsafe unsafe = UNSAFE;
        if (unsafe != null) {
            unsafe.invokeCleaner(buffer);
        }
    }

    private static @Nullable Unsafe unsafe() {
        try {
            Field f = Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (Unsafe) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
