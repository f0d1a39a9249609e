package dev.lorahub.cli;

import dev.lorahub.model.WeightDtype;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** {@code --dtype f32|f16}: how the base model keeps its weight matrices, as a picocli mixin. */
final class DtypeOption {
    @Option(
            names = "--dtype",
            paramLabel = "T",
            converter = Converter.class,
            description =
                    "Weight matrices in memory: f32 (exact, 4 bytes per parameter) or f16 (2 bytes;"
                            + " BF16 and F16 checkpoints keep their values, F32 ones are rounded)"
                            + " (default: ${DEFAULT-VALUE}).")
    WeightDtype dtype = WeightDtype.F32;

    /** {@link WeightDtype#parse}, so {@code bf16} gets its reason. */
    static final class Converter implements ITypeConverter<WeightDtype> {
        @Override
        public WeightDtype convert(String value) {
            return WeightDtype.parse(value);
        }
    }
}
