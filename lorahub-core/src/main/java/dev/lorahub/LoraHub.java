package dev.lorahub;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * LoraHub learning: given LoRA modules trained for one base model and a few examples of a new task,
 * find the weights of a composition of the modules that fits the examples, and return the composed
 * adapter.
 *
 * <pre>{@code
 * LoraHubResult r = LoraHub.compose(modules)   // List<LoraModule>
 *         .fewShot(examples)                  // List<FewShotExample>
 *         .run();                             // every other setting has the reference's default
 * r.weights(); r.merged(); r.trace(); r.provenance(); r.save(dir);
 * }</pre>
 *
 * <h2>Faithful defaults (sail-sg/lorahub, {@code lorahub/algorithm.py})</h2>
 *
 * <ul>
 *   <li>Strategy {@code LORAHUB}: {@code A = sum_i w_i A_i}, {@code B = sum_i w_i B_i}, combined
 *       separately, module 0's scaling; all modules must have identical shapes.
 *   <li>Objective {@code score(w) = loss(w) + 0.05 * mean_i |w_i|}.
 *   <li>{@code loss(w)} exactly as the reference's {@code default_get_loss}: the examples are split
 *       in order into batches of {@code batchSize} (default: all in one batch); each batch's loss
 *       is the backend's token-mean teacher-forced cross-entropy over that batch's labelled tokens
 *       (Hugging Face's {@code outputs.loss}); the batch losses are <em>summed and divided by the
 *       number of examples</em>. With the default single batch this is the token-mean cross-entropy
 *       divided by the number of examples, so the loss term shrinks as examples are added while the
 *       regulariser does not: this is what the reference does, kept on purpose.
 *   <li>Weights in {@code [-1.5, 1.5]}, search from {@code w = 0}, budget 40 evaluations, optimizer
 *       {@code cobyla} (as nevergrad's NGOpt runs it), seed 42.
 * </ul>
 *
 * <p>Evaluation costs one forward pass per batch: the backend encodes the examples once, and per
 * candidate applies the composed low-rank update in place and restores the base weights.
 */
public final class LoraHub {
    /** The reference's budget: 40 evaluations. */
    public static final int DEFAULT_BUDGET = 40;

    /** The reference's seed. */
    public static final long DEFAULT_SEED = 42L;

    /** The reference's lower bound of every weight. */
    public static final double DEFAULT_LOWER_BOUND = -1.5;

    /** The reference's upper bound of every weight. */
    public static final double DEFAULT_UPPER_BOUND = 1.5;

    /** The reference's factor of {@code mean |w|} in the score. */
    public static final double DEFAULT_REGULARIZATION = 0.05;

    /** The name of the default optimizer, COBYLA as NGOpt runs it for these budgets. */
    public static final String DEFAULT_OPTIMIZER = "cobyla";

    private LoraHub() {}

    /** The first module that names its base model, else module 0. */
    static LoraModule namedBase(List<LoraModule> modules) {
        for (LoraModule m : modules) {
            if (!m.config().baseModelNameOrPath().isEmpty()) {
                return m;
            }
        }
        return modules.get(0);
    }

    /**
     * Starts a composition of modules, named by the one rule of {@link
     * LoraModule#distinctlyNamed(List)}: modules loaded from folders of the same name get their
     * distinguishing path suffixes ({@code run1/adapter}, {@code run2/adapter}); chosen names
     * ({@link LoraModule#withName}) are kept.
     *
     * @param modules at least one; the same {@code base_model_name_or_path}, where they name one (a
     *     llama.cpp {@code .gguf} adapter names none and composes with any)
     * @return the step that takes the examples
     * @throws IllegalArgumentException if the list is empty, a folder is given twice or two
     *     modules keep the same name
     * @throws IncompatibleModulesException if the modules name different base models
     */
    public static ComposeStep compose(List<LoraModule> modules) {
        if (modules.isEmpty()) {
            throw new IllegalArgumentException("no LoRA modules to compose: give at least one");
        }
        List<LoraModule> named = LoraModule.distinctlyNamed(modules);
        for (LoraModule m : named) {
            String base = m.config().baseModelNameOrPath();
            String known = namedBase(named).config().baseModelNameOrPath();
            if (!base.isEmpty() && !base.equals(known)) {
                throw new IncompatibleModulesException(
                        "module '"
                                + m.name()
                                + "' is for base model '"
                                + base
                                + "' but module '"
                                + namedBase(named).name()
                                + "' is for '"
                                + known
                                + "'");
            }
        }
        return new ComposeStep(List.copyOf(named));
    }

    /**
     * Starts a composition of in-memory modules.
     *
     * @param first the first module (its config names the base model)
     * @param more further modules
     * @return the step that takes the examples
     */
    public static ComposeStep compose(LoraModule first, LoraModule... more) {
        List<LoraModule> all = new ArrayList<>();
        all.add(first);
        all.addAll(List.of(more));
        return compose(all);
    }

    /**
     * Loads adapters and starts a composition of them, named as {@link LoraModule#loadAll(List)}
     * names them (folder names, made distinct by path suffixes).
     *
     * @param adapterDirs PEFT folders ({@code adapter_config.json} and {@code
     *     adapter_model.safetensors} or {@code .bin}), or llama.cpp {@code .gguf} adapter files that
     *     give their head size or adapt neither q_proj nor k_proj ({@link LoraModule#load(Path)})
     * @return the step that takes the examples
     * @throws IOException if a folder cannot be read
     * @throws IllegalArgumentException if a folder is given twice
     */
    public static ComposeStep load(List<Path> adapterDirs) throws IOException {
        return compose(LoraModule.loadAll(adapterDirs));
    }

    /**
     * Loads adapters for a known base model and starts a composition of them; a llama.cpp {@code
     * .gguf} adapter takes the base model's head size for its q/k rows ({@link
     * LoraModule#load(Path, Path)}). The base model is only read for that: run on it with {@code
     * .on(model)} as usual.
     *
     * @param adapters PEFT folders or llama.cpp {@code .gguf} adapter files
     * @param baseModel the base model folder or {@code .gguf} file the adapters are for
     * @return the step that takes the examples
     * @throws IOException if a file cannot be read
     */
    public static ComposeStep load(List<Path> adapters, Path baseModel) throws IOException {
        List<LoraModule> modules = new ArrayList<>();
        for (Path adapter : adapters) {
            modules.add(LoraModule.load(adapter, baseModel));
        }
        return compose(modules);
    }
}
