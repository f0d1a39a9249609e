package dev.lorahub.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Sequential reads of a byte range {@code [start, end)} of a file, buffered, for the unpickler.
 * Nothing is allocated from a length the file claims before that many bytes are known to be left in
 * the range.
 */
final class PickleInput {
    private static final int BUFFER = 64 * 1024;

    private final FileChannel channel;
    private final long end;
    private final ByteBuffer buffer;
    private long bufferStart;

    PickleInput(FileChannel channel, long start, long end) {
        this.channel = channel;
        this.end = end;
        this.buffer = ByteBuffer.allocate((int) Math.min(BUFFER, Math.max(0, end - start)));
        this.buffer.limit(0);
        this.bufferStart = start;
    }

    /** The absolute file position of the next byte. */
    long position() {
        return bufferStart + buffer.position();
    }

    /** Bytes left before the end of the range. */
    long remaining() {
        return end - position();
    }

    /** Moves to an absolute position inside the range. */
    void seek(long pos) {
        buffer.limit(0);
        bufferStart = pos;
    }

    private void fill() throws IOException {
        long pos = position();
        if (pos >= end) {
            throw new EOFException("the data ends at byte " + end);
        }
        buffer.clear();
        buffer.limit((int) Math.min(buffer.capacity(), end - pos));
        bufferStart = pos;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, bufferStart + buffer.position());
            if (n < 0) {
                throw new EOFException("the file ends at byte " + (bufferStart + buffer.position()));
            }
        }
        buffer.flip();
    }

    int readByte() throws IOException {
        if (!buffer.hasRemaining()) {
            fill();
        }
        return buffer.get() & 0xFF;
    }

    /** Reads exactly {@code n} bytes, refusing before allocation when fewer are left. */
    byte[] readBytes(long n) throws IOException {
        if (n < 0 || n > remaining() || n > Integer.MAX_VALUE - 8) {
            throw new EOFException(
                    "needs " + n + " bytes at byte " + position() + " but " + remaining() + " are left");
        }
        byte[] out = new byte[(int) n];
        int done = 0;
        while (done < n) {
            if (!buffer.hasRemaining()) {
                fill();
            }
            int k = Math.min(buffer.remaining(), (int) n - done);
            buffer.get(out, done, k);
            done += k;
        }
        return out;
    }

    long readLittleEndian(int bytes) throws IOException {
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            v |= ((long) readByte()) << (8 * i);
        }
        return v;
    }

    /** Reads up to and excluding a newline, at most {@code max} bytes. */
    byte[] readLine(int max) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        while (true) {
            int b = readByte();
            if (b == '\n') {
                return out.toByteArray();
            }
            if (out.size() >= max) {
                throw new EOFException("a line longer than " + max + " bytes at byte " + position());
            }
            out.write(b);
        }
    }
}
