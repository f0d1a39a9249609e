package dev.lorahub.io.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The gguf-quants fixture's manifest.json: what ggml wrote and what its own dequantization gave,
 * per file and tensor.
 */
final class GgufManifest {
    private static JsonNode manifest;

    private GgufManifest() {}

    static Path dir() {
        return TestData.require("gguf-quants");
    }

    /**
     * @param relative a file under gguf-quants as the manifest names it, e.g. {@code
     *     models/tiny-llama-F32.gguf}
     * @return it, joined from its parts if it is kept in parts (the F32 model: 7.4 MB)
     */
    static Path path(String relative) {
        Path p = dir().resolve(relative);
        return java.nio.file.Files.exists(p) ? p : TestData.requireJoined("gguf-quants/" + relative);
    }

    static synchronized JsonNode get() {
        if (manifest == null) {
            try {
                manifest = new ObjectMapper().readTree(dir().resolve("manifest.json").toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return manifest;
    }

    /** The manifest entry of a model variant (F32, Q4_K, ...). */
    static JsonNode file(String variant) {
        for (JsonNode f : get().get("files")) {
            if (f.get("variant").asText().equals(variant)) {
                return f;
            }
        }
        throw new IllegalArgumentException("no variant " + variant);
    }

    static JsonNode tensor(String variant, String name) {
        for (JsonNode t : file(variant).get("tensors")) {
            if (t.get("name").asText().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("no tensor " + name + " in " + variant);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] f32le(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
