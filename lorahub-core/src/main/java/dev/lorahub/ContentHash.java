package dev.lorahub;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 of a module's content: every layer's path, shape, scaling and factor bits. Provenance
 * uses it for modules that have no weights file to hash ({@link LoraModule#sha256()} empty: made in
 * memory or by a merge).
 */
final class ContentHash {
    private ContentHash() {}

    static String sha256(LoraModule module) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
        for (LoraLayer l : module.layers().values()) {
            md.update(l.modulePath().getBytes(StandardCharsets.UTF_8));
            ByteBuffer head = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
            head.putInt(l.rank()).putInt(l.inFeatures()).putInt(l.outFeatures());
            head.putDouble(l.scaling()).putInt(l.fanInFanOut() ? 1 : 0);
            md.update(head.array());
            update(md, l.sharedA());
            update(md, l.sharedB());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void update(MessageDigest md, float[] values) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(values);
        md.update(buf.array());
    }
}
