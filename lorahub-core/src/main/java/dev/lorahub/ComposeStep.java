package dev.lorahub;

import java.util.ArrayList;
import java.util.List;

/** The first step of {@link LoraHub}: modules chosen, examples still to give. Immutable. */
public final class ComposeStep {
    private final List<LoraModule> modules;

    ComposeStep(List<LoraModule> modules) {
        this.modules = modules;
    }

    /**
     * @return the modules, in the order given
     */
    public List<LoraModule> modules() {
        return modules;
    }

    /**
     * @param examples the few-shot examples of the new task, at least one (text or pre-tokenized)
     * @return the step that takes options and runs
     * @throws IllegalArgumentException if there is no example
     */
    public LearnStep fewShot(List<FewShotExample> examples) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException(
                    "no few-shot examples: LoraHub needs at least one to score the modules");
        }
        return new LearnStep(modules, List.copyOf(examples), LearnSettings.defaults());
    }

    /**
     * @param first an example
     * @param more further examples
     * @return the step that takes options and runs
     */
    public LearnStep fewShot(FewShotExample first, FewShotExample... more) {
        List<FewShotExample> all = new ArrayList<>();
        all.add(first);
        all.addAll(List.of(more));
        return fewShot(all);
    }
}
