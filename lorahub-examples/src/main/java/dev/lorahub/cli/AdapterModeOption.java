package dev.lorahub.cli;

import dev.lorahub.djl.AdapterMode;
import dev.lorahub.djl.DjlBaseModel;
import dev.lorahub.model.BaseModel;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * {@code --adapter-mode auto|in-place|branch}: how {@code learn} and {@code score} apply an adapter to
 * the base model while computing a loss ({@link AdapterMode}), as a picocli mixin.
 */
final class AdapterModeOption {
    @Option(
            names = "--adapter-mode",
            paramLabel = "M",
            converter = Converter.class,
            description =
                    "How a loss applies the adapter: branch (y = x W^T + (x A^T)(s B)^T, the base"
                            + " weights untouched, no copies kept), in-place (W + s B A, restored"
                            + " from kept copies of every targeted weight: more memory) or auto"
                            + " (per loss, branch when tokens x (in + out) <= in x out summed over"
                            + " the adapter's layers: few-shot batches on large models) (default:"
                            + " auto).")
    @Nullable AdapterMode mode;

    /**
     * @param model the loaded base model
     * @return it, set to {@code --adapter-mode} when given
     * @throws IllegalArgumentException when the option is given for a model that has no such
     *     setting (not a DJL model)
     */
    BaseModel applyTo(BaseModel model) {
        if (mode == null) {
            return model;
        }
        if (!(model instanceof DjlBaseModel djl)) {
            throw new IllegalArgumentException(
                    "--adapter-mode "
                            + mode
                            + ": the "
                            + model.modelType()
                            + " model ("
                            + model.getClass().getSimpleName()
                            + ") has no adapter modes");
        }
        djl.adapterMode(mode);
        return model;
    }

    /** {@link AdapterMode#parse}, so a wrong value gets the accepted ones. */
    static final class Converter implements ITypeConverter<AdapterMode> {
        @Override
        public AdapterMode convert(String value) {
            return AdapterMode.parse(value);
        }
    }
}
