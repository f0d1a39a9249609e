package dev.lorahub.djl.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Test helper against use-after-free of Java direct buffers that back tensors ({@code
 * torch::from_blob}): collects unreachable buffers, then allocates many small direct buffers filled
 * with {@code 0xFF} bytes ({@code 0xFFFFFFFF} is a NaN float), so that freed memory read afterwards
 * is most likely NaN. See {@link Scalars}.
 */
public final class FreedBuffers {
    private FreedBuffers() {}

    /**
     * @return the filler buffers; keep them reachable until the code under test has run
     * @throws InterruptedException if interrupted while the Cleaner frees collected buffers
     */
    public static List<ByteBuffer> collectAndRefillWithNaN() throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(50); // the Cleaner thread frees collected direct buffers
        }
        List<ByteBuffer> filler = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            ByteBuffer f = ByteBuffer.allocateDirect(4 + i % 13);
            while (f.hasRemaining()) {
                f.put((byte) 0xFF);
            }
            filler.add(f);
        }
        return filler;
    }
}
