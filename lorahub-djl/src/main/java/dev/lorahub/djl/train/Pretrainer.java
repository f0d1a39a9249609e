package dev.lorahub.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.lorahub.FewShotExample;
import dev.lorahub.internal.Logs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntFunction;
import org.slf4j.Logger;

/**
 * Trains every parameter of a base model (the embedded hub's pretraining): Adam with warm-up and
 * cosine decay ({@link PretrainingConfig#learningRateAt(int)}), gradient clipping, Hugging Face's
 * causal cross-entropy on the labelled positions. Batches come from a function of the step number,
 * so a seeded generator makes the run reproducible.
 */
public final class Pretrainer {
    private static final Logger LOG = Logs.get(Pretrainer.class);

    private final PretrainingConfig config;
    private final TrainingListener listener;

    private Pretrainer(PretrainingConfig config, TrainingListener listener) {
        this.config = Objects.requireNonNull(config, "config");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * @param config steps, learning rate, warm-up, clipping @return a pretrainer
     */
    public static Pretrainer of(PretrainingConfig config) {
        return new Pretrainer(config, TrainingListener.NONE);
    }

    /**
     * @param l notified after every step @return a copy with that listener
     */
    public Pretrainer listener(TrainingListener l) {
        return new Pretrainer(config, l);
    }

    /**
     * Trains in place.
     *
     * @param model the model; every parameter gets a gradient for the run and is detached after
     * @param batchForStep the pre-tokenized batch of each 1-based step
     * @return the mean loss of the last 10% of the steps
     */
    public double train(TrainableModel model, IntFunction<List<FewShotExample>> batchForStep) {
        Map<String, NDArray> params = model.parameters();
        List<NDArray> trainable = new ArrayList<>(params.values());
        for (NDArray p : trainable) {
            p.setRequiresGradient(true);
        }
        int tail = Math.max(1, config.steps() / 10);
        double tailSum = 0;
        int skipped = 0;
        int restores = 0;
        try (NDManager state = model.manager().newSubManager();
                Adam adam = new Adam(trainable, state, (float) config.clipNorm())) {
            for (int step = 1; step <= config.steps(); step++) {
                float lr = (float) config.learningRateAt(step);
                double loss = LoraTrainer.step(model, Map.of(), batchForStep.apply(step), adam, lr);
                if (step > config.steps() - tail && Double.isFinite(loss)) {
                    tailSum += loss;
                }
                listener.onStep(step, config.steps(), loss);
            }
            skipped = adam.skipped();
            restores = adam.restores();
        } finally {
            for (NDArray p : trainable) {
                p.setRequiresGradient(false);
            }
        }
        double mean = tailSum / tail;
        LOG.info(
                "pretrained {} parameters for {} steps ({} skipped as non-finite, {} restores),"
                        + " final loss {}",
                params.size(),
                config.steps(),
                skipped,
                restores,
                String.format("%.4f", mean));
        return mean;
    }
}
