package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.LoraModule;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Loading an adapter leaves none of its file's pages mapped into the process: its factors are
 * copied into float arrays through positional reads, not through a memory mapping that would keep
 * the file's pages resident until a garbage collection (on flan-t5-large, 20 adapters kept 370 MB
 * resident for a whole {@code learn} run). Checked in {@code /proc/self/smaps} (Linux, as libtorch
 * needs): the resident kilobytes of every mapping of the file must be 0.
 */
class AdapterResidentMemoryTest {
    @Test
    void a_loaded_adapter_keeps_no_resident_pages_of_its_file() throws IOException {
        Path dir = TestData.require("hf-tiny/llama/adapters/adapter_0");
        Path file = dir.resolve("adapter_model.safetensors").toRealPath();
        LoraModule module = LoraModule.load(dir);
        assertThat(module.layers()).isNotEmpty();
        assertThat(residentKb(file)).as("resident kB of mappings of %s", file).isZero();
        // and the reader's float reads agree with its mapped view, bit for bit
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (TensorInfo t : reader.tensors()) {
                float[] read = reader.readFloat32(t.name());
                float[] mapped = new float[read.length];
                FloatCodec.decode(reader.rawBytes(t.name()), t.dtype(), mapped, 0, read.length);
                assertThat(read).as(t.name()).isEqualTo(mapped);
                assertThat(reader.read(t.name()).bytes())
                        .as("%s copied", t.name())
                        .isEqualTo(ByteBuffer.wrap(bytes(reader, t.name())));
            }
        }
    }

    private static byte[] bytes(SafetensorsReader reader, String name) throws IOException {
        ByteBuffer raw = reader.rawBytes(name);
        byte[] out = new byte[raw.remaining()];
        raw.get(out);
        return out;
    }

    /** Sums the {@code Rss:} lines of the smaps entries whose path is {@code file}. */
    private static long residentKb(Path file) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        long kb = 0;
        boolean inFile = false;
        for (String line : lines) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                inFile = line.endsWith(" " + file);
            } else if (inFile && line.startsWith("Rss:")) {
                kb += Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return kb;
    }
}
