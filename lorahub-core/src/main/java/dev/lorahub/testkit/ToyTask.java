package dev.lorahub.testkit;

import dev.lorahub.FewShotExample;
import java.util.List;
import java.util.Objects;

/**
 * A generated task: examples sampled from the toy model with a known combination of modules'
 * updates added to its weights.
 *
 * @param examples pre-tokenized causal-LM examples ({@code labels == input_ids})
 * @param trueWeights the weight of each module in the combination that generated them
 * @param combination how the weights combine the modules' factors
 */
public record ToyTask(
        List<FewShotExample> examples, double[] trueWeights, ToyTasks.Combination combination) {
    /** Copies. */
    public ToyTask {
        examples = List.copyOf(examples);
        trueWeights = trueWeights.clone();
        Objects.requireNonNull(combination, "combination");
    }

    @Override
    public double[] trueWeights() {
        return trueWeights.clone();
    }
}
