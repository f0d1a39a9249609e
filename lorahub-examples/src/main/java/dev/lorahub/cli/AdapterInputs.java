package dev.lorahub.cli;

import dev.lorahub.LoraHubException;
import dev.lorahub.LoraModule;
import dev.lorahub.io.PeftAdapters;
import dev.lorahub.io.gguf.LlamaCppAdapters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Adapter arguments of {@code learn}, {@code merge}, {@code score}, {@code generate} and the Spark
 * job: PEFT folders and llama.cpp {@code .gguf} adapter files alike, each optionally named with
 * {@code NAME=DIR} ({@link #inputs}); the modules are named by the one rule of {@link
 * LoraModule#distinctlyNamed} ({@link #named}). A {@code .gguf} adapter on q_proj/k_proj
 * needs the base model's head size for its row order: {@code --head-dim}, else the base model
 * ({@code --model}), else the base model the PEFT inputs name when it is found locally (a path, or
 * an id in the cache), else the size the file itself records; with none of them it is refused in
 * one line naming the file and what is missing.
 */
public final class AdapterInputs {
    private AdapterInputs() {}

    /**
     * A located adapter argument.
     *
     * @param path the adapter folder or {@code .gguf} file
     * @param name the name given with {@code NAME=DIR}, or null
     */
    public record Input(Path path, @Nullable String name) {}

    /** Finds an adapter argument (a path, or a Hugging Face id in the cache) locally. */
    @FunctionalInterface
    public interface Locator {
        /**
         * @param given the argument
         * @return the local folder or file
         * @throws IOException if the cache cannot be read
         */
        Path locate(Path given) throws IOException;
    }

    /**
     * Reads adapter arguments: {@code DIR} or {@code NAME=DIR}, which names one adapter. An
     * argument that exists as a path is a path even when it holds {@code =}; a NAME holds no path
     * separator.
     *
     * @param option what the arguments are, for messages (e.g. {@code "--modules "}; may be empty)
     * @param args the arguments, in order
     * @param expandFolders whether a {@code DIR} may also be a folder of adapters, taken in name
     *     order ({@code learn --modules}, the Spark job); otherwise each is one adapter ({@code
     *     merge})
     * @param locator finds a path or id locally
     * @return one input per adapter, in order
     * @throws IllegalArgumentException if a NAME=DIR's DIR is not one adapter, or (with {@code
     *     expandFolders}) a DIR is neither an adapter nor a folder of them
     * @throws IOException if a folder cannot be listed
     */
    public static List<Input> inputs(
            String option, List<String> args, boolean expandFolders, Locator locator)
            throws IOException {
        List<Input> out = new ArrayList<>();
        for (String arg : args) {
            Path given = Path.of(arg);
            int eq = arg.indexOf('=');
            if (eq > 0
                    && !Files.exists(given)
                    && !arg.substring(0, eq).contains(given.getFileSystem().getSeparator())) {
                Path dir = locator.locate(Path.of(arg.substring(eq + 1)));
                if (!isAdapter(dir)) {
                    throw new IllegalArgumentException(
                            option
                                    + arg
                                    + ": "
                                    + dir
                                    + " is neither an adapter folder (no "
                                    + PeftAdapters.CONFIG_FILE
                                    + ") nor a .gguf adapter; NAME=DIR names one adapter");
                }
                out.add(new Input(dir, arg.substring(0, eq)));
            } else if (expandFolders) {
                for (Path p : adapterFolders(List.of(locator.locate(given)))) {
                    out.add(new Input(p, null));
                }
            } else {
                out.add(new Input(locator.locate(given), null));
            }
        }
        return out;
    }

    /**
     * @param inputs located inputs
     * @return their paths, in order
     */
    public static List<Path> paths(List<Input> inputs) {
        return inputs.stream().map(Input::path).toList();
    }

    /**
     * Names the modules loaded from inputs: a NAME=DIR input's module gets NAME, then every
     * module is named by {@link LoraModule#distinctlyNamed} (folders of the same name told apart
     * by their paths: {@code run1/adapter}, {@code run2/adapter}).
     *
     * @param modules the modules loaded from {@code inputs}, in the same order
     * @param inputs the inputs
     * @return the named modules
     * @throws IllegalArgumentException if two modules keep the same name (naming both folders)
     */
    public static List<LoraModule> named(List<LoraModule> modules, List<Input> inputs) {
        List<LoraModule> out = new ArrayList<>();
        for (int i = 0; i < modules.size(); i++) {
            String name = inputs.get(i).name();
            out.add(name == null ? modules.get(i) : modules.get(i).withName(name));
        }
        return LoraModule.distinctlyNamed(out);
    }

    /**
     * @param dirs adapter folders, llama.cpp {@code .gguf} adapter files, or folders holding them
     * @return the adapter folders: each given adapter folder, and the adapter sub-folders of each
     *     other folder in name order
     * @throws IOException if a folder cannot be listed
     * @throws IllegalArgumentException naming a folder that is neither
     */
    public static List<Path> adapterFolders(List<Path> dirs) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path dir : dirs) {
            if (isAdapter(dir)) {
                out.add(dir);
                continue;
            }
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException(dir + ": no such adapter folder or .gguf file");
            }
            List<Path> children = new ArrayList<>();
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.sorted().toList()) {
                    if (isAdapter(p)) {
                        children.add(p);
                    }
                }
            }
            if (children.isEmpty()) {
                throw new IllegalArgumentException(
                        dir
                                + ": neither an adapter folder (no "
                                + PeftAdapters.CONFIG_FILE
                                + ") nor a folder of adapter folders or llama.cpp .gguf adapters");
            }
            out.addAll(children);
        }
        return out;
    }

    /** A PEFT folder, or a llama.cpp adapter file ({@code general.type = adapter}). */
    private static boolean isAdapter(Path p) throws IOException {
        return Files.isRegularFile(p.resolve(PeftAdapters.CONFIG_FILE))
                || (p.getFileName() != null
                        && p.getFileName().toString().endsWith(".gguf")
                        && LlamaCppAdapters.isAdapter(p));
    }

    /**
     * @param adapters located adapter folders and {@code .gguf} files, in order
     * @param headDim {@code --head-dim}, or null
     * @param model the located {@code --model}, or null
     * @param hub the cache the PEFT inputs' base model ids are looked up in
     * @param revision the revision of such an id (null: main)
     * @return the modules, in order
     * @throws IOException if a file cannot be read
     */
    static List<LoraModule> load(
            List<Path> adapters,
            @Nullable Integer headDim,
            @Nullable Path model,
            HubOptions hub,
            @Nullable String revision)
            throws IOException {
        List<LoraModule> out = new ArrayList<>();
        List<Integer> gguf = new ArrayList<>();
        for (Path a : adapters) {
            if (LlamaCppAdapters.isAdapter(a)) {
                gguf.add(out.size());
                out.add(null);
            } else {
                out.add(LoraModule.load(a));
            }
        }
        if (gguf.isEmpty()) {
            return out;
        }
        Path base = headDim != null ? null : model != null ? model : peftBase(out, hub, revision);
        for (int i : gguf) {
            Path a = adapters.get(i);
            out.set(
                    i,
                    headDim != null
                            ? LoraModule.load(a, headDim)
                            : base != null ? LoraModule.load(a, base) : LoraModule.load(a));
        }
        return out;
    }

    /** The first PEFT input's base model found locally (path or cached id), else null. */
    private static @Nullable Path peftBase(
            List<LoraModule> loaded, HubOptions hub, @Nullable String revision) throws IOException {
        for (LoraModule m : loaded) {
            String base = m == null ? null : m.config().baseModelNameOrPath();
            if (base == null || base.isEmpty()) {
                continue;
            }
            try {
                return hub.locate(Path.of(base), revision);
            } catch (LoraHubException | IllegalArgumentException e) {
                // not found locally: the next input, else --head-dim or the file itself
            }
        }
        return null;
    }
}
