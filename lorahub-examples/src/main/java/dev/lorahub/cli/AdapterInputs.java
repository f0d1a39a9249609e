package dev.lorahub.cli;

import dev.lorahub.LoraHubException;
import dev.lorahub.LoraModule;
import dev.lorahub.io.gguf.LlamaCppAdapters;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Adapter arguments of {@code learn}, {@code merge}, {@code score} and {@code generate}: PEFT
 * folders and llama.cpp {@code .gguf} adapter files alike. A {@code .gguf} adapter on q_proj/k_proj
 * needs the base model's head size for its row order: {@code --head-dim}, else the base model
 * ({@code --model}), else the base model the PEFT inputs name when it is found locally (a path, or
 * an id in the cache), else the size the file itself records; with none of them it is refused in
 * one line naming the file and what is missing.
 */
final class AdapterInputs {
    private AdapterInputs() {}

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
