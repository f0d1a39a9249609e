package dev.lorahub.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The records of a zip archive as torch's {@code PyTorchStreamWriter} writes them: uncompressed
 * (STORED), one top-level folder, Zip64 end records (torch always writes them). Offsets come from
 * the central directory and each local header (torch pads the local extra field to align data to
 * 64 bytes, so it differs from the central one). Every offset and size is checked against the file
 * before anything is allocated from it.
 */
final class TorchZip {
    /** Where a record's bytes are: absolute file offset and length. */
    record Entry(String name, long offset, long size) {}

    private static final int EOCD = 0x06054b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int ZIP64_EOCD = 0x06064b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int LOCAL = 0x04034b50;

    private TorchZip() {}

    /** Thrown for a malformed archive; the message says what and where. */
    static final class Malformed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    static boolean isZip(FileChannel ch) throws IOException {
        return ch.size() >= 4 && readInt(ch, 0) == LOCAL;
    }

    /** Reads the central directory: record names (with their folder) to data ranges. */
    static Map<String, Entry> read(FileChannel ch) throws IOException {
        long length = ch.size();
        int tailSize = (int) Math.min(length, 22 + 65535 + 20 + 56);
        ByteBuffer tail = read(ch, length - tailSize, tailSize);
        int eocd = -1;
        for (int i = tailSize - 22; i >= 0; i--) {
            if (tail.getInt(i) == EOCD) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) {
            throw new Malformed(
                    "zip end-of-central-directory record not found: the file is truncated or not"
                            + " a zip archive");
        }
        long eocdPos = length - tailSize + eocd;
        long entries = tail.getShort(eocd + 10) & 0xFFFFL;
        long cdSize = tail.getInt(eocd + 12) & 0xFFFFFFFFL;
        long cdOffset = tail.getInt(eocd + 16) & 0xFFFFFFFFL;
        if (eocd >= 20 && tail.getInt(eocd - 20) == ZIP64_LOCATOR) {
            long z64 = tail.getLong(eocd - 20 + 8);
            if (z64 < 0 || z64 > eocdPos - 20 - 56) {
                throw new Malformed("zip64 end record offset " + z64 + " is outside the file");
            }
            ByteBuffer z = read(ch, z64, 56);
            if (z.getInt(0) != ZIP64_EOCD) {
                throw new Malformed("no zip64 end record at byte " + z64);
            }
            entries = z.getLong(32);
            cdSize = z.getLong(40);
            cdOffset = z.getLong(48);
            eocdPos = z64;
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > eocdPos || cdSize > eocdPos - cdOffset) {
            throw new Malformed(
                    "central directory [" + cdOffset + ", +" + cdSize + ") is outside the file");
        }
        if (cdSize > Integer.MAX_VALUE - 8) {
            throw new Malformed("central directory of " + cdSize + " bytes is too large");
        }
        if (entries < 0 || entries > cdSize / 46) {
            throw new Malformed(
                    "central directory claims " + entries + " records in " + cdSize + " bytes");
        }
        ByteBuffer cd = read(ch, cdOffset, (int) cdSize);
        Map<String, Entry> out = new LinkedHashMap<>();
        int p = 0;
        for (long i = 0; i < entries; i++) {
            if (p + 46 > cdSize || cd.getInt(p) != CENTRAL) {
                throw new Malformed("central directory record " + i + " is malformed");
            }
            int flags = cd.getShort(p + 8) & 0xFFFF;
            int method = cd.getShort(p + 10) & 0xFFFF;
            long comp = cd.getInt(p + 20) & 0xFFFFFFFFL;
            long size = cd.getInt(p + 24) & 0xFFFFFFFFL;
            int nameLen = cd.getShort(p + 28) & 0xFFFF;
            int extraLen = cd.getShort(p + 30) & 0xFFFF;
            int commentLen = cd.getShort(p + 32) & 0xFFFF;
            long local = cd.getInt(p + 42) & 0xFFFFFFFFL;
            if (p + 46L + nameLen + extraLen + commentLen > cdSize) {
                throw new Malformed("central directory record " + i + " runs past its end");
            }
            byte[] nameBytes = new byte[nameLen];
            cd.get(p + 46, nameBytes);
            String name = new String(nameBytes, StandardCharsets.UTF_8);
            int e = p + 46 + nameLen;
            int extraEnd = e + extraLen;
            while (e + 4 <= extraEnd) {
                int id = cd.getShort(e) & 0xFFFF;
                int len = cd.getShort(e + 2) & 0xFFFF;
                if (e + 4 + len > extraEnd) {
                    throw new Malformed("record '" + name + "': extra field runs past its end");
                }
                if (id == 1) {
                    int q = e + 4;
                    if (size == 0xFFFFFFFFL && q + 8 <= e + 4 + len) {
                        size = cd.getLong(q);
                        q += 8;
                    }
                    if (comp == 0xFFFFFFFFL && q + 8 <= e + 4 + len) {
                        comp = cd.getLong(q);
                        q += 8;
                    }
                    if (local == 0xFFFFFFFFL && q + 8 <= e + 4 + len) {
                        local = cd.getLong(q);
                    }
                }
                e += 4 + len;
            }
            if ((flags & 1) != 0) {
                throw new Malformed("record '" + name + "' is encrypted");
            }
            if (method != 0 || comp != size) {
                throw new Malformed(
                        "record '"
                                + name
                                + "' is compressed (method "
                                + method
                                + "); torch writes records uncompressed (STORED)");
            }
            if (local < 0 || local > cdOffset - 30) {
                throw new Malformed(
                        "record '" + name + "': local header offset " + local + " is outside the data");
            }
            ByteBuffer lh = read(ch, local, 30);
            if (lh.getInt(0) != LOCAL) {
                throw new Malformed("record '" + name + "': no local header at byte " + local);
            }
            long data = local + 30 + (lh.getShort(26) & 0xFFFF) + (lh.getShort(28) & 0xFFFF);
            if (size < 0 || data > cdOffset || size > cdOffset - data) {
                throw new Malformed(
                        "record '"
                                + name
                                + "' ["
                                + data
                                + ", +"
                                + size
                                + ") runs past the data (central directory at "
                                + cdOffset
                                + ")");
            }
            if (out.put(name, new Entry(name, data, size)) != null) {
                throw new Malformed("record '" + name + "' appears twice");
            }
            p += 46 + nameLen + extraLen + commentLen;
        }
        return out;
    }

    private static int readInt(FileChannel ch, long pos) throws IOException {
        return read(ch, pos, 4).getInt(0);
    }

    static ByteBuffer read(FileChannel ch, long pos, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                throw new Malformed("the file ends at byte " + (pos + b.position()));
            }
        }
        return b.flip();
    }
}
