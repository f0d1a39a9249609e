package dev.lorahub;

import java.util.ArrayList;
import java.util.List;

/**
 * LoraHub's merge, {@code A = sum_i w_i A_i} and {@code B = sum_i w_i B_i} per layer with module
 * 0's scaling and config. Temporary: replaced by {@code dev.lorahub.Composer} when it lands.
 */
final class WeightedMerge {
    private WeightedMerge() {}

    /** Checks that every module has module 0's layers with the same shapes. */
    static void requireEqualShapes(List<LoraModule> modules) {
        LoraModule first = modules.get(0);
        for (LoraModule m : modules) {
            if (!m.layers().keySet().equals(first.layers().keySet())) {
                throw new IncompatibleModulesException(
                        "LORAHUB needs identical targets: module '"
                                + m.name()
                                + "' has layers "
                                + m.layers().keySet()
                                + ", module '"
                                + first.name()
                                + "' has "
                                + first.layers().keySet());
            }
            for (LoraLayer a : first.layers().values()) {
                LoraLayer b = m.layers().get(a.modulePath());
                if (a.rank() != b.rank()
                        || a.inFeatures() != b.inFeatures()
                        || a.outFeatures() != b.outFeatures()) {
                    throw new IncompatibleModulesException(
                            "LORAHUB needs equal shapes: module '"
                                    + m.name()
                                    + "' layer '"
                                    + a.modulePath()
                                    + "' has lora_A "
                                    + b.rank()
                                    + "x"
                                    + b.inFeatures()
                                    + " and lora_B "
                                    + b.outFeatures()
                                    + "x"
                                    + b.rank()
                                    + ", module '"
                                    + first.name()
                                    + "' has "
                                    + a.rank()
                                    + "x"
                                    + a.inFeatures()
                                    + " and "
                                    + a.outFeatures()
                                    + "x"
                                    + a.rank());
                }
            }
        }
    }

    static LoraModule merge(String name, List<LoraModule> modules, double[] weights) {
        LoraModule first = modules.get(0);
        List<LoraLayer> layers = new ArrayList<>();
        for (LoraLayer l0 : first.layers().values()) {
            float[] a = new float[l0.loraAView().length];
            float[] b = new float[l0.loraBView().length];
            for (int i = 0; i < modules.size(); i++) {
                LoraLayer li = modules.get(i).layers().get(l0.modulePath());
                axpy(a, li.loraAView(), weights[i]);
                axpy(b, li.loraBView(), weights[i]);
            }
            layers.add(
                    new LoraLayer(
                            l0.modulePath(),
                            l0.rank(),
                            l0.inFeatures(),
                            l0.outFeatures(),
                            a,
                            b,
                            l0.scaling(),
                            l0.fanInFanOut()));
        }
        return new LoraModule(name, first.config(), layers);
    }

    private static void axpy(float[] acc, float[] x, double w) {
        float wf = (float) w;
        for (int i = 0; i < acc.length; i++) {
            acc[i] += wf * x[i];
        }
    }
}
