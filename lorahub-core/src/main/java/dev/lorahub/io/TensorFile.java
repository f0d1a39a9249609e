package dev.lorahub.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A read-only file of named tensors, whatever its format: {@link SafetensorsReader} or {@link
 * PytorchReader}. {@link #open(Path)} picks the reader from the file's first bytes.
 */
public interface TensorFile extends Closeable {
    /**
     * @return the file
     */
    Path file();

    /**
     * @return the format the file was read in
     */
    WeightsFormat format();

    /**
     * @return every tensor, in file order
     */
    List<TensorEntry> entries();

    /**
     * @param name a tensor's key
     * @return its entry, or empty when the file has no such tensor
     */
    Optional<TensorEntry> entry(String name);

    /**
     * Reads a float tensor as float32: F32 as is, F16 and BF16 exactly, F64 rounded to nearest.
     *
     * @param name a tensor's key
     * @return its elements in row-major order
     * @throws IllegalArgumentException when the tensor is absent, not a float type, or too large
     *     for a {@code float[]}
     * @throws IOException if the file cannot be read
     */
    float[] readFloat32(String name) throws IOException;

    /**
     * Where a tensor's elements lie in {@link #file()} when they can be streamed as they are
     * stored: contiguous, row-major, little-endian, {@code numel * dtype.byteSize()} bytes from the
     * returned offset. A backend may then copy them into its own memory in small pieces (decoding
     * with {@link FloatCodec}) instead of going through {@link #readFloat32(String)}'s array.
     *
     * @param name a tensor's key
     * @return the byte offset of its first element in the file, or empty when the tensor must be
     *     read through {@link #readFloat32(String)} (a strided view of a pickle's storage, a
     *     big-endian pickle)
     * @throws IllegalArgumentException when the tensor is absent
     */
    OptionalLong contiguousOffset(String name);

    /**
     * Opens a tensor file: {@code *.safetensors} as a {@link SafetensorsReader}; {@code *.bin},
     * {@code *.pt}, {@code *.pth}, a zip archive or a file starting as torch's legacy format
     * ({@code 80 02 8a 0a}: the pickled magic number) as a {@link PytorchReader}; anything else as
     * safetensors.
     *
     * @param file the file
     * @return the open reader, to be closed by the caller
     * @throws AdapterFormatException if the file is invalid in its format (message starts with it)
     * @throws IOException if it cannot be read
     */
    static TensorFile open(Path file) throws IOException {
        String name = String.valueOf(file.getFileName()).toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".safetensors")) {
            return SafetensorsReader.open(file);
        }
        if (name.endsWith(".bin") || name.endsWith(".pt") || name.endsWith(".pth")) {
            return PytorchReader.open(file);
        }
        if (Files.isRegularFile(file)) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                boolean legacy = ch.size() >= 4 && TorchZip.read(ch, 0, 4).getInt(0) == 0x0a8a0280;
                if (legacy || TorchZip.isZip(ch)) {
                    return PytorchReader.open(file);
                }
            }
        }
        return SafetensorsReader.open(file);
    }
}
