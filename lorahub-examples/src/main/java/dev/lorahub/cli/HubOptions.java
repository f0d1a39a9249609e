package dev.lorahub.cli;

import dev.lorahub.io.HfCache;
import java.io.IOException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * Hugging Face ids on the command line, as a picocli mixin adding {@code --cache-dir}. A model or
 * adapter argument that is not an existing path but a repo id ({@code org/name}, or {@code
 * org/name@revision}) is looked up in the local Hugging Face cache, offline, as huggingface_hub
 * does with {@code local_files_only=True}.
 */
final class HubOptions {
    @Option(
            names = "--cache-dir",
            paramLabel = "DIR",
            description =
                    "Hugging Face hub cache for ids such as org/name or org/name@REV (default:"
                            + " HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub)."
                            + " Nothing is downloaded.")
    @Nullable Path cacheDir;

    /**
     * @return the cache: {@code --cache-dir}, else the one huggingface_hub would use
     */
    HfCache cache() {
        return cacheDir != null ? HfCache.at(cacheDir) : HfCache.fromEnvironment();
    }

    /**
     * @param arg a model or adapter argument: an existing path, or {@code org/name[@rev]}
     * @param revision the revision for an id without {@code @rev} (null: main)
     * @return the path as given when it exists, else the id's snapshot folder
     * @throws dev.lorahub.io.NotInCacheException when it is neither (one line: the id, revision,
     *     paths tried and the download command)
     * @throws IOException if a ref cannot be read
     */
    Path locate(Path arg, @Nullable String revision) throws IOException {
        return cache().locate(arg.toString(), revision);
    }
}
