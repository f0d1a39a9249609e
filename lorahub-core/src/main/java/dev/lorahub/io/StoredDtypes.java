package dev.lorahub.io;

import java.util.Objects;

/**
 * The element types one LoRA layer's factors were stored in on disk, so that an adapter read as
 * float32 is written back in its own types (F16 and BF16 round-trip exactly through float32).
 *
 * @param loraA type of {@code lora_A.weight}: F32, F16, BF16 or F64
 * @param loraB type of {@code lora_B.weight}: F32, F16, BF16 or F64
 */
public record StoredDtypes(DType loraA, DType loraB) {
    /** Both factors in float32: the type of modules made in memory. */
    public static final StoredDtypes F32 = new StoredDtypes(DType.F32, DType.F32);

    /** Checks that both are float types. */
    public StoredDtypes {
        Objects.requireNonNull(loraA, "loraA");
        Objects.requireNonNull(loraB, "loraB");
        if (!loraA.isConvertibleToFloat32() || !loraB.isConvertibleToFloat32()) {
            throw new IllegalArgumentException(
                    "LoRA factors must be F32, F16, BF16 or F64, got lora_A "
                            + loraA
                            + " and lora_B "
                            + loraB);
        }
    }
}
