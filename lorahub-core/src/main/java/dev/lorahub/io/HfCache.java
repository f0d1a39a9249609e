package dev.lorahub.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The local Hugging Face hub cache, read the way {@code huggingface_hub} reads it offline
 * ({@code snapshot_download(repo_id, revision=..., local_files_only=True)}): never any network
 * access, nothing written.
 *
 * <p>Where the cache is ({@link #fromEnvironment()}, {@code huggingface_hub/constants.py}): {@code
 * HF_HUB_CACHE}, else the legacy {@code HUGGINGFACE_HUB_CACHE}, else {@code $HF_HOME/hub}, where
 * {@code HF_HOME} defaults to {@code $XDG_CACHE_HOME/huggingface}, and that to {@code
 * ~/.cache/huggingface}; a leading {@code ~} is the user's home. A variable set to the empty string
 * counts as unset here (huggingface_hub would take it as the current folder).
 *
 * <p>How a repo id and revision become a folder: the repo folder is {@code models--} + the id with
 * {@code /} replaced by {@code --} ({@code org/name} → {@code models--org--name}); a revision of 40
 * lower-case hex digits is a commit and names {@code snapshots/<commit>} directly; any other
 * revision (a branch such as {@code main}, a tag) is read from {@code refs/<revision>}, whose
 * content is the commit. The snapshot's entries are usually relative symlinks into {@code blobs/};
 * caches made without symlink support hold the files themselves. Both read the same.
 *
 * <p>Immutable and thread-safe: every call reads the file system afresh.
 */
public final class HfCache {
    /** The revision used when none is given, as in huggingface_hub. */
    public static final String DEFAULT_REVISION = "main";

    /** huggingface_hub's {@code REGEX_COMMIT_HASH}. */
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    /**
     * huggingface_hub's {@code validate_repo_id}: one or two names of word characters, {@code -},
     * {@code .}, not starting or ending with {@code -} or {@code .}, at most 96 characters, no
     * {@code --} or {@code ..}.
     */
    private static final Pattern REPO_ID =
            Pattern.compile("(?:[\\w][\\w\\-.]*[\\w]|\\w)(?:/(?:[\\w][\\w\\-.]*[\\w]|\\w))?");

    private final Path hubDir;
    private final String origin;

    private HfCache(Path hubDir, String origin) {
        this.hubDir = hubDir;
        this.origin = origin;
    }

    /**
     * @param hubDir the cache folder itself (what {@code HF_HUB_CACHE} names, e.g. {@code
     *     ~/.cache/huggingface/hub}), whether or not it exists
     * @return the cache there
     */
    public static HfCache at(Path hubDir) {
        Objects.requireNonNull(hubDir, "hubDir");
        return new HfCache(hubDir, "given");
    }

    /**
     * @return the cache huggingface_hub would use in this process, from its environment variables
     *     and the user's home folder (see the class comment)
     */
    public static HfCache fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * The cache huggingface_hub would use with these environment variables; for callers that
     * hold their own environment (a launcher, a test) rather than this process's.
     *
     * @param env environment variables ({@code HF_HUB_CACHE}, {@code HUGGINGFACE_HUB_CACHE},
     *     {@code HF_HOME}, {@code XDG_CACHE_HOME} are read)
     * @param userHome what {@code ~} means
     * @return the cache
     */
    public static HfCache fromEnvironment(Map<String, String> env, Path userHome) {
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(userHome, "userHome");
        for (String key : List.of("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE")) {
            String v = env.get(key);
            if (v != null && !v.isEmpty()) {
                return new HfCache(expandUser(v, userHome), key + "=" + v);
            }
        }
        String home = env.get("HF_HOME");
        if (home != null && !home.isEmpty()) {
            return new HfCache(expandUser(home, userHome).resolve("hub"), "HF_HOME=" + home);
        }
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isEmpty()) {
            return new HfCache(
                    expandUser(xdg, userHome).resolve("huggingface").resolve("hub"),
                    "XDG_CACHE_HOME=" + xdg);
        }
        return new HfCache(
                userHome.resolve(".cache").resolve("huggingface").resolve("hub"),
                "the default ~/.cache/huggingface/hub");
    }

    private static Path expandUser(String p, Path userHome) {
        if (p.equals("~")) {
            return userHome;
        }
        if (p.startsWith("~/")) {
            return userHome.resolve(p.substring(2));
        }
        return Path.of(p);
    }

    /**
     * @return the cache folder (it may not exist)
     */
    public Path hubDir() {
        return hubDir;
    }

    /**
     * @param s a string
     * @return true when it is a valid Hugging Face repo id ({@code name} or {@code org/name}) by
     *     huggingface_hub's rules
     */
    public static boolean isRepoId(String s) {
        return s.length() <= 96
                && !s.contains("--")
                && !s.contains("..")
                && REPO_ID.matcher(s).matches();
    }

    /**
     * @param repoId a repo id, e.g. {@code google/flan-t5-large}
     * @return its folder in the cache, {@code models--google--flan-t5-large} (it may not exist)
     * @throws IllegalArgumentException if it is not a repo id
     */
    public Path repoDir(String repoId) {
        requireRepoId(repoId);
        return hubDir.resolve("models--" + repoId.replace("/", "--"));
    }

    /**
     * Resolves a repo at a revision to its snapshot folder, as {@code snapshot_download(...,
     * local_files_only=True)} does.
     *
     * @param repoId a repo id, e.g. {@code google/flan-t5-large}
     * @param revision a branch, tag or 40-hex commit; null for {@value #DEFAULT_REVISION}
     * @return the snapshot folder, {@code <hub>/models--org--name/snapshots/<commit>}
     * @throws NotInCacheException when the repo, the ref or the snapshot is not in the cache (the
     *     message names the id, revision and every path looked at, and the command that would
     *     download it)
     * @throws IllegalArgumentException if {@code repoId} is not a repo id
     * @throws IOException if a ref file cannot be read
     */
    public Path snapshot(String repoId, @Nullable String revision) throws IOException {
        String rev = revision == null ? DEFAULT_REVISION : revision;
        Path repo = repoDir(repoId);
        List<String> looked = new ArrayList<>();
        if (!Files.isDirectory(repo)) {
            looked.add(repo + " (absent)");
            throw notCached(repoId, rev, looked);
        }
        String commit;
        if (COMMIT.matcher(rev).matches()) {
            commit = rev;
        } else {
            Path refs = repo.resolve("refs");
            Path ref = refs.resolve(rev).normalize();
            if (!ref.startsWith(refs) || ref.equals(refs)) {
                throw new IllegalArgumentException(
                        "revision '" + rev + "' of '" + repoId + "' is not a ref name");
            }
            if (!Files.isRegularFile(ref)) {
                looked.add(ref + " (absent)");
                throw notCached(repoId, rev, looked);
            }
            commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
            if (!COMMIT.matcher(commit).matches()) {
                throw new AdapterFormatException(
                        ref, "holds '" + commit + "', expected a 40-hex commit id");
            }
            looked.add(ref + " -> " + commit);
        }
        Path snap = repo.resolve("snapshots").resolve(commit);
        if (!Files.isDirectory(snap)) {
            looked.add(snap + " (absent)");
            throw notCached(repoId, rev, looked);
        }
        return snap;
    }

    /**
     * Resolves what transformers and PEFT accept as {@code pretrained_model_name_or_path}: a path
     * that exists is used as it is (a local folder wins, as in transformers); otherwise a repo id,
     * optionally {@code org/name@revision} (huggingface_hub's {@code HfFileSystem} notation), is
     * looked up in this cache.
     *
     * @param nameOrPath a folder or file, or a repo id
     * @param revision the revision for a repo id (null: the one after {@code @}, else {@value
     *     #DEFAULT_REVISION}); ignored for a local path
     * @return the local path or snapshot folder; a string that is neither an existing path nor a
     *     repo id is returned as a path, for the caller to report missing in its own terms
     * @throws NotInCacheException if it is a repo id (and no existing path) that is not cached (the
     *     message names the local path tried and the cache paths)
     * @throws IllegalArgumentException if a revision is given twice, differently
     * @throws IOException if a ref file cannot be read
     */
    public Path locate(String nameOrPath, @Nullable String revision) throws IOException {
        Objects.requireNonNull(nameOrPath, "nameOrPath");
        Optional<Path> local = existing(nameOrPath);
        if (local.isPresent()) {
            return local.get();
        }
        String id = nameOrPath;
        String rev = revision;
        int at = nameOrPath.lastIndexOf('@');
        if (at > 0 && isRepoId(nameOrPath.substring(0, at))) {
            id = nameOrPath.substring(0, at);
            String inline = nameOrPath.substring(at + 1);
            if (rev != null && !rev.equals(inline)) {
                throw new IllegalArgumentException(
                        "'" + nameOrPath + "' names revision '" + inline + "' but revision '"
                                + rev + "' was also given");
            }
            rev = inline;
        }
        if (!isRepoId(id)) {
            // not an id: a missing path, which the caller reports as such
            return Path.of(nameOrPath);
        }
        try {
            return snapshot(id, rev);
        } catch (NotInCacheException e) {
            throw new NotInCacheException(
                    "no folder "
                            + Path.of(nameOrPath).toAbsolutePath()
                            + ", and "
                            + e.getMessage());
        }
    }

    private static Optional<Path> existing(String nameOrPath) {
        try {
            Path p = Path.of(nameOrPath);
            return Files.exists(p) ? Optional.of(p) : Optional.empty();
        } catch (java.nio.file.InvalidPathException e) {
            return Optional.empty();
        }
    }

    private NotInCacheException notCached(String repoId, String rev, List<String> looked) {
        return new NotInCacheException(
                "Hugging Face repo '"
                        + repoId
                        + "' at revision '"
                        + rev
                        + "' is not in the local cache "
                        + hubDir
                        + " ("
                        + origin
                        + "); looked at "
                        + String.join(", ", looked)
                        + "; nothing is downloaded: fetch it with `huggingface-cli download "
                        + repoId
                        + (rev.equals(DEFAULT_REVISION) ? "" : " --revision " + rev)
                        + " --cache-dir "
                        + hubDir
                        + "`");
    }

    private static void requireRepoId(String repoId) {
        if (!isRepoId(repoId)) {
            throw new IllegalArgumentException(
                    "'" + repoId + "' is not a Hugging Face repo id (name or org/name)");
        }
    }

    /**
     * @param path a folder or file
     * @return the repo id {@code org/name} when {@code path} is a cache snapshot folder, {@code
     *     .../models--org--name/snapshots/<commit>}; empty otherwise
     */
    public static Optional<String> repoIdOfSnapshot(Path path) {
        Path abs = path.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        Path repo = parent == null ? null : parent.getParent();
        if (abs.getFileName() == null
                || repo == null
                || repo.getFileName() == null
                || !String.valueOf(parent.getFileName()).equals("snapshots")
                || !repo.getFileName().toString().startsWith("models--")) {
            return Optional.empty();
        }
        return Optional.of(
                repo.getFileName().toString().substring("models--".length()).replace("--", "/"));
    }

    @Override
    public String toString() {
        return "HfCache[" + hubDir + ", " + origin + "]";
    }
}
