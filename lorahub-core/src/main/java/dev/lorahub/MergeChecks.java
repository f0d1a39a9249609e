package dev.lorahub;

import java.util.List;

/** The compatibility checks of {@link Composer#merge}, with messages naming modules and shapes. */
final class MergeChecks {
    private MergeChecks() {}

    static void check(MergeStrategy strategy, List<LoraModule> modules, double[] weights) {
        if (modules.isEmpty()) {
            throw new IncompatibleModulesException("nothing to merge: the module list is empty");
        }
        if (weights.length != modules.size()) {
            throw new IncompatibleModulesException(
                    "got "
                            + weights.length
                            + " weights for "
                            + modules.size()
                            + " modules "
                            + names(modules));
        }
        for (int i = 0; i < weights.length; i++) {
            if (!Double.isFinite(weights[i])) {
                throw new IncompatibleModulesException(
                        "weight "
                                + i
                                + " for module '"
                                + modules.get(i).name()
                                + "' is "
                                + weights[i]
                                + "; weights must be finite");
            }
        }
        LoraModule first = modules.get(0);
        for (int i = 1; i < modules.size(); i++) {
            LoraModule m = modules.get(i);
            for (String path : first.layers().keySet()) {
                if (!m.layers().containsKey(path)) {
                    throw new IncompatibleModulesException(
                            "module '"
                                    + m.name()
                                    + "' has no layer '"
                                    + path
                                    + "', which module '"
                                    + first.name()
                                    + "' targets "
                                    + shapes(first.layers().get(path))
                                    + "; modules must target the same layers");
                }
            }
            for (String path : m.layers().keySet()) {
                if (!first.layers().containsKey(path)) {
                    throw new IncompatibleModulesException(
                            "module '"
                                    + m.name()
                                    + "' targets layer '"
                                    + path
                                    + "' "
                                    + shapes(m.layers().get(path))
                                    + ", which module '"
                                    + first.name()
                                    + "' does not; modules must target the same"
                                    + " layers");
                }
            }
            for (LoraLayer l0 : first.layers().values()) {
                LoraLayer li = m.layers().get(l0.modulePath());
                boolean shapeDiffers =
                        li.inFeatures() != l0.inFeatures() || li.outFeatures() != l0.outFeatures();
                boolean rankDiffers = strategy.needsEqualRanks() && li.rank() != l0.rank();
                if (shapeDiffers || rankDiffers || li.fanInFanOut() != l0.fanInFanOut()) {
                    String why =
                            shapeDiffers
                                    ? "different base shapes [out, in]"
                                    : rankDiffers
                                            ? strategy
                                                    + " needs equal ranks (CAT and SVD accept any)"
                                            : "different fan_in_fan_out";
                    throw new IncompatibleModulesException(
                            "layer '"
                                    + l0.modulePath()
                                    + "': module '"
                                    + m.name()
                                    + "' has "
                                    + shapes(li)
                                    + ", module '"
                                    + first.name()
                                    + "' has "
                                    + shapes(l0)
                                    + ": "
                                    + why);
                }
            }
        }
    }

    private static String shapes(LoraLayer l) {
        return "lora_A "
                + l.rank()
                + "x"
                + l.inFeatures()
                + ", lora_B "
                + l.outFeatures()
                + "x"
                + l.rank()
                + (l.fanInFanOut() ? " (fan_in_fan_out)" : "");
    }

    private static String names(List<LoraModule> modules) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < modules.size(); i++) {
            sb.append(i == 0 ? "'" : ", '").append(modules.get(i).name()).append('\'');
        }
        return sb.append(']').toString();
    }
}
