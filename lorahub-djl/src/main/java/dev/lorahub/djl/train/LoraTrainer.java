package dev.lorahub.djl.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.internal.CrossEntropy;
import dev.lorahub.internal.Logs;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.spi.LinearShape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.slf4j.Logger;

/**
 * Trains a LoRA module by gradient descent on pre-tokenized causal-LM examples, the base model
 * frozen.
 *
 * <p>Initialisation is PEFT's: {@code lora_A ~ kaiming_uniform(a = sqrt(5))}, i.e. {@code U(-1 /
 * sqrt(in), 1 / sqrt(in))}, drawn from a {@link SplittableRandom} seeded by the config (so the same
 * seed gives the same module bit for bit), and {@code lora_B = 0}, so the untrained module is the
 * base model. Each targeted layer computes {@code y = x W^T + (alpha / r) * (dropout(x) A^T) B^T}
 * ({@link LoraPair#branch}); dropout is PEFT's {@code lora_dropout}, on the branch input during
 * training only ({@link LoraDropout}, its masks seeded by the config), and is recorded in the
 * module's adapter config. The loss
 * is Hugging Face's token-mean cross-entropy over labelled positions; the optimizer is Adam at a
 * constant learning rate. Batches are drawn from a seeded permutation per epoch.
 *
 * <pre>{@code
 * LoraModule m = LoraTrainer.of(LoraTrainingConfig.defaults())
 *         .listener((step, total, loss) -> bar.update(step, total))
 *         .train(model, examples, "my-task", "path/to/base");
 * m.save(Path.of("out/my-task"));
 * }</pre>
 */
public final class LoraTrainer {
    private static final Logger LOG = Logs.get(LoraTrainer.class);
    private static final long DROPOUT_SEED_MIX = 0x9E3779B97F4A7C15L;

    private final LoraTrainingConfig config;
    private final TrainingListener listener;

    private LoraTrainer(LoraTrainingConfig config, TrainingListener listener) {
        this.config = Objects.requireNonNull(config, "config");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * @param config rank, alpha, targets, dropout, learning rate, epochs, batch size, seed
     * @return a trainer
     */
    public static LoraTrainer of(LoraTrainingConfig config) {
        return new LoraTrainer(config, TrainingListener.NONE);
    }

    /**
     * @param l notified after every step @return a copy with that listener
     */
    public LoraTrainer listener(TrainingListener l) {
        return new LoraTrainer(config, l);
    }

    /**
     * @return the config
     */
    public LoraTrainingConfig config() {
        return config;
    }

    /**
     * @param model the base model; its parameters are frozen (gradients detached) for the run
     * @param examples pre-tokenized examples (labels aligned with ids, -100 ignored)
     * @param name the module's name
     * @param baseModelNameOrPath recorded in the adapter config
     * @return the trained module, {@code scaling = alpha / r} per layer
     * @throws IllegalArgumentException if no linear layer matches the targets, or examples are
     *     empty or not tokenized
     */
    public LoraModule train(
            TrainableModel model,
            List<FewShotExample> examples,
            String name,
            String baseModelNameOrPath) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no training examples for module '" + name + "'");
        }
        Map<String, LinearShape> targets = targets(model.linearModules(), config.targetModules());
        for (NDArray p : model.parameters().values()) {
            p.setRequiresGradient(false);
        }
        SplittableRandom rnd = new SplittableRandom(config.seed());
        int n = examples.size();
        int stepsPerEpoch = (n + config.batchSize() - 1) / config.batchSize();
        int total = config.maxSteps() > 0 ? config.maxSteps() : config.epochs() * stepsPerEpoch;
        try (NDManager loraManager = model.manager().newSubManager()) {
            Map<String, LoraPair> pairs = initialise(targets, rnd, loraManager);
            List<NDArray> trainable = new ArrayList<>();
            for (LoraPair p : pairs.values()) {
                trainable.add(p.a());
                trainable.add(p.b());
            }
            double last = Double.NaN;
            try (Adam adam = new Adam(trainable, loraManager, 1.0f)) {
                int[] order = permutation(n, rnd);
                int cursor = 0;
                for (int step = 1; step <= total; step++) {
                    List<FewShotExample> batch = new ArrayList<>();
                    while (batch.size() < Math.min(config.batchSize(), n)) {
                        if (cursor == n) {
                            order = permutation(n, rnd);
                            cursor = 0;
                        }
                        batch.add(examples.get(order[cursor++]));
                    }
                    last = step(model, pairs, batch, adam, (float) config.learningRate());
                    listener.onStep(step, total, last);
                }
            }
            LOG.info(
                    "trained LoRA '{}' on {} examples: {} steps, final batch loss {}",
                    name,
                    n,
                    total,
                    String.format("%.4f", last));
            return toModule(name, baseModelNameOrPath, pairs);
        }
    }

    static double step(
            TrainableModel model,
            Map<String, LoraPair> lora,
            List<FewShotExample> batch,
            Adam adam,
            float lr) {
        double value;
        try (NDManager scope = model.manager().newSubManager()) {
            NDArray[] data = Batches.collate(batch, 0, scope);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = CrossEntropy.causal(model.logits(data[0], lora), data[1]);
                gc.backward(loss);
                value = loss.getFloat();
            }
        }
        boolean updated = Double.isFinite(value) && adam.step(lr);
        // a skipped step zeroes the gradients and, after several in a row, restores a snapshot
        if (!updated) {
            adam.skip();
        }
        return value;
    }

    /**
     * @param linear the model's linear layers
     * @param suffixes target names as PEFT matches them: the full path or its last segments
     * @return the matching layers, in model order
     */
    static Map<String, LinearShape> targets(
            Map<String, LinearShape> linear, List<String> suffixes) {
        Map<String, LinearShape> out = new LinkedHashMap<>();
        for (Map.Entry<String, LinearShape> e : linear.entrySet()) {
            for (String s : suffixes) {
                if (e.getKey().equals(s) || e.getKey().endsWith("." + s)) {
                    out.put(e.getKey(), e.getValue());
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(
                    "target modules "
                            + suffixes
                            + " match none of the model's linear layers "
                            + linear.keySet());
        }
        return out;
    }

    private Map<String, LoraPair> initialise(
            Map<String, LinearShape> targets, SplittableRandom rnd, NDManager manager) {
        Map<String, LoraPair> pairs = new LinkedHashMap<>();
        // one mask stream for the run, seeded apart from A's init and the shuffling so that a
        // dropout of 0 leaves both as they were
        LoraDropout dropout = LoraDropout.of(config.dropout(), config.seed() ^ DROPOUT_SEED_MIX);
        int r = config.rank();
        for (Map.Entry<String, LinearShape> e : targets.entrySet()) {
            int in = e.getValue().inFeatures();
            int out = e.getValue().outFeatures();
            float bound = (float) (1.0 / Math.sqrt(in));
            float[] a = new float[r * in];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
            }
            NDArray aArr = manager.create(a, new Shape(r, in));
            NDArray bArr = manager.zeros(new Shape(out, r));
            aArr.setRequiresGradient(true);
            bArr.setRequiresGradient(true);
            pairs.put(e.getKey(), new LoraPair(aArr, bArr, (float) config.scaling(), dropout));
        }
        return pairs;
    }

    private LoraModule toModule(String name, String base, Map<String, LoraPair> pairs) {
        List<LoraLayer> layers = new ArrayList<>();
        for (Map.Entry<String, LoraPair> e : pairs.entrySet()) {
            NDArray a = e.getValue().a();
            NDArray b = e.getValue().b();
            layers.add(
                    new LoraLayer(
                            e.getKey(),
                            config.rank(),
                            (int) a.getShape().get(1),
                            (int) b.getShape().get(0),
                            a.toFloatArray(),
                            b.toFloatArray(),
                            config.scaling(),
                            false));
        }
        AdapterConfig ac =
                new AdapterConfig(base, config.rank(), config.alpha(), config.targetModules())
                        .toBuilder()
                        .loraDropout(config.dropout())
                        .build();
        return new LoraModule(name, ac, layers);
    }

    static int[] permutation(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
