package dev.lorahub.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.lorahub.djl.DjlRuntime;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CallBuffersTest {
    private static final int FLOATS = 1 << 20; // 4 MiB

    @BeforeAll
    static void start() {
        DjlRuntime.start();
    }

    @Test
    void the_array_is_the_buffer_itself_no_copy() {
        try (NDManager call = NDManager.newBaseManager()) {
            CallBuffers.Floats f = CallBuffers.floats(call, 6);
            for (int i = 0; i < 6; i++) {
                f.values().put(i, i + 0.5f);
            }
            NDArray a = f.tensor(new Shape(2, 3));
            assertThat(a.toFloatArray()).containsExactly(0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f);
            f.values().put(4, -7f); // visible through the array: it aliases the buffer
            assertThat(a.get(1, 1).getFloat()).isEqualTo(-7f);
        }
    }

    @Test
    void closing_the_manager_frees_the_native_memory_without_a_collection() {
        BufferPoolMXBean direct = directPool();
        CallBuffers.Floats kept; // reachable to the end: only the close can free it
        long before = direct.getMemoryUsed();
        try (NDManager call = NDManager.newBaseManager()) {
            kept = CallBuffers.floats(call, FLOATS);
            kept.values().put(FLOATS - 1, 1f);
            assertThat(kept.tensor(new Shape(FLOATS)).sum().getFloat()).isEqualTo(1f);
            assertThat(direct.getMemoryUsed() - before)
                    .as("direct memory while the manager is open")
                    .isGreaterThanOrEqualTo(4L * FLOATS);
        }
        assertThat(direct.getMemoryUsed() - before)
                .as("direct memory after close, %s still reachable", kept.bytes().capacity())
                .isLessThan(4L * FLOATS);
    }

    private static BufferPoolMXBean directPool() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct"))
                .findFirst()
                .orElseThrow();
    }
}
