package dev.lorahub.djl.internal;

import dev.lorahub.Composer;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.djl.HfTinyReference;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * An hf-tiny fixture with 8 distinct CAT mixes of its three PEFT adapters and the examples of its
 * one batch, for tests that run many calls on one model ({@link SharedModelThreadsTest}, {@link
 * MemoryFlatTest}).
 *
 * @param fx the fixture
 * @param adapters {@link #ADAPTERS} distinct adapters
 * @param examples the fixture's batch as tokenized examples
 */
record MixedAdapters(HfTinyReference fx, List<LoraModule> adapters, List<FewShotExample> examples) {
    /** How many adapters. */
    static final int ADAPTERS = 8;

    /**
     * @param name {@code hf-tiny/llama} or {@code hf-tiny/t5}
     */
    static MixedAdapters of(String name) throws IOException {
        HfTinyReference fx = new HfTinyReference(name) {};
        List<LoraModule> three = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            three.add(fx.adapter("adapter_" + i));
        }
        List<LoraModule> adapters = new ArrayList<>();
        Composer cat = Composer.of(MergeStrategy.CAT);
        for (int a = 0; a < ADAPTERS; a++) {
            double[] w = {1.0 - 0.25 * a, 0.5 * (a % 3) - 0.5, 0.125 * a};
            adapters.add(cat.merge("mix" + a, three, w));
        }
        List<FewShotExample> examples = fx.examples(name.endsWith("llama"));
        return new MixedAdapters(fx, adapters, examples);
    }
}
