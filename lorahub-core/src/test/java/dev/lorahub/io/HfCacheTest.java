package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link HfCache} against the hf-cache fixture, which huggingface_hub 0.20.3 wrote and resolved
 * offline itself: every {@code snapshot_download(..., local_files_only=True)} path recorded in its
 * results.json (symlinked and symlink-free layouts) must come out the same here.
 */
class HfCacheTest {
    private static final Path HOME = Path.of("/home/u");

    @TempDir Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"symlinks", "nosymlinks"})
    void every_offline_resolution_huggingface_hub_recorded_is_reproduced(String layout)
            throws IOException {
        Path fixture = TestData.require("hf-cache");
        Path hfHome = layout.equals("symlinks") ? fixture : fixture.resolve("nosymlinks");
        JsonNode recorded =
                new ObjectMapper()
                        .readTree(fixture.resolve("results.json").toFile())
                        .get("verify")
                        .get(layout)
                        .get("snapshot_download");
        HfCache cache = HfCache.fromEnvironment(Map.of("HF_HOME", hfHome.toString()), HOME);
        int n = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = recorded.fields(); it.hasNext(); n++) {
            Map.Entry<String, JsonNode> e = it.next();
            String[] idRev = e.getKey().split("@", 2);
            Path got = cache.snapshot(idRev[0], idRev.length == 2 ? idRev[1] : null);
            assertThat(got).as(e.getKey()).isEqualTo(hfHome.resolve(e.getValue().asText()));
            assertThat(cache.locate(e.getKey(), null)).as(e.getKey()).isEqualTo(got);
        }
        assertThat(n).isEqualTo(4);
    }

    @Test
    void snapshot_files_read_through_their_relative_symlinks_into_the_blobs() throws IOException {
        Path fixture = TestData.require("hf-cache");
        HfCache cache = HfCache.at(fixture.resolve("hub"));
        Path weights = cache.snapshot("lorahub-test/tiny-llama", "main").resolve("model.safetensors");
        assertThat(Files.isSymbolicLink(weights)).isTrue();
        assertThat(weights.toRealPath())
                .isEqualTo(
                        fixture.resolve(
                                        "hub/models--lorahub-test--tiny-llama/blobs/"
                                                + "9aa56620ee272794bc4d6c02f32ec7d0403bbf4437c04ba8e7b043c96ce18908")
                                .toRealPath());
    }

    /** huggingface_hub's constants.py, one variable at a time, highest priority first. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "HF_HUB_CACHE=/c/hub1,HUGGINGFACE_HUB_CACHE=/c/hub2,HF_HOME=/c/home,XDG_CACHE_HOME=/c/xdg | /c/hub1",
                "HUGGINGFACE_HUB_CACHE=/c/hub2,HF_HOME=/c/home,XDG_CACHE_HOME=/c/xdg | /c/hub2",
                "HF_HOME=/c/home,XDG_CACHE_HOME=/c/xdg | /c/home/hub",
                "XDG_CACHE_HOME=/c/xdg | /c/xdg/huggingface/hub",
                "- | /home/u/.cache/huggingface/hub",
                "HF_HUB_CACHE=~/h | /home/u/h",
                "HF_HOME=~ | /home/u/hub",
                "HF_HUB_CACHE=,HF_HOME=/c/home | /c/home/hub",
            })
    void the_cache_folder_follows_huggingface_hub_environment_rules(String vars, String expected) {
        Map<String, String> env = new HashMap<>();
        if (!vars.equals("-")) {
            for (String kv : vars.split(",")) {
                String[] p = kv.split("=", -1);
                env.put(p[0], p[1]);
            }
        }
        assertThat(HfCache.fromEnvironment(env, HOME).hubDir()).isEqualTo(Path.of(expected));
    }

    @Test
    void an_id_that_is_not_cached_is_one_line_naming_id_revision_paths_and_the_download_command()
            throws IOException {
        Path hub = TestData.require("hf-cache").resolve("hub");
        HfCache cache = HfCache.at(hub);
        assertThatThrownBy(() -> cache.snapshot("google/flan-t5-large", null))
                .isInstanceOf(NotInCacheException.class)
                .hasMessageNotContaining("\n")
                .hasMessageContaining("'google/flan-t5-large' at revision 'main'")
                .hasMessageContaining(hub.resolve("models--google--flan-t5-large") + " (absent)")
                .hasMessageContaining("nothing is downloaded")
                .hasMessageContaining(
                        "`huggingface-cli download google/flan-t5-large --cache-dir " + hub + "`");
        Path repo = hub.resolve("models--lorahub-test--tiny-llama");
        assertThatThrownBy(() -> cache.snapshot("lorahub-test/tiny-llama", "v2"))
                .isInstanceOf(NotInCacheException.class)
                .hasMessageContaining(repo.resolve("refs/v2") + " (absent)")
                .hasMessageContaining("--revision v2");
        String commit = "0123456789abcdef0123456789abcdef01234567";
        assertThatThrownBy(() -> cache.snapshot("lorahub-test/tiny-llama", commit))
                .isInstanceOf(NotInCacheException.class)
                .hasMessageContaining(repo.resolve("snapshots/" + commit) + " (absent)");
        assertThatThrownBy(() -> cache.locate("lorahub-test/absent", null))
                .isInstanceOf(NotInCacheException.class)
                .hasMessageStartingWith("no folder " + Path.of("lorahub-test/absent").toAbsolutePath())
                .hasMessageContaining("'lorahub-test/absent' at revision 'main'");
    }

    @Test
    void a_ref_pointing_at_a_missing_snapshot_names_the_commit_it_read() throws IOException {
        Path repo = tmp.resolve("models--org--name");
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), "b241b359fec6491b910e85968a3adf2ed9053789");
        assertThatThrownBy(() -> HfCache.at(tmp).snapshot("org/name", null))
                .isInstanceOf(NotInCacheException.class)
                .hasMessageContaining(repo.resolve("refs/main") + " -> b241b359")
                .hasMessageContaining(
                        repo.resolve("snapshots/b241b359fec6491b910e85968a3adf2ed9053789")
                                + " (absent)");
    }

    /**
     * Layouts the fixture does not hold, built here as huggingface_hub 0.20.3 lays them out
     * ({@code _snapshot_download.py}, local_files_only: a 40-hex revision is the commit, any other
     * is read from {@code os.path.join(storage_folder, "refs", revision)}, so the PR ref {@code
     * refs/pr/1} is the file {@code refs/refs/pr/1}); plain files instead of symlinks; a commit
     * with no ref at all; a missing ref file; a {@code .no_exist} marker, which only says a file is
     * absent at that commit and changes nothing in the resolution.
     */
    @Test
    void other_cache_layouts_resolve_as_huggingface_hub_resolves_them() throws IOException {
        String pr = "1111111111111111111111111111111111111111";
        String bare = "2222222222222222222222222222222222222222";
        Path repo = tmp.resolve("models--org--name");
        Files.createDirectories(repo.resolve("refs/refs/pr"));
        Files.writeString(repo.resolve("refs/refs/pr/1"), pr);
        Files.createDirectories(repo.resolve("snapshots/" + pr));
        Files.writeString(repo.resolve("snapshots/" + pr + "/config.json"), "{}");
        Files.createDirectories(repo.resolve("snapshots/" + bare));
        Files.createDirectories(repo.resolve(".no_exist/" + pr));
        Files.writeString(repo.resolve(".no_exist/" + pr + "/adapter_config.json"), "");
        HfCache cache = HfCache.at(tmp);
        assertThat(cache.snapshot("org/name", "refs/pr/1")).isEqualTo(repo.resolve("snapshots/" + pr));
        assertThat(cache.locate("org/name@refs/pr/1", null))
                .isEqualTo(repo.resolve("snapshots/" + pr));
        assertThat(Files.isSymbolicLink(cache.snapshot("org/name", pr).resolve("config.json")))
                .isFalse();
        // a commit needs no ref
        assertThat(cache.snapshot("org/name", bare)).isEqualTo(repo.resolve("snapshots/" + bare));
        // no refs/main: not cached at main, naming the ref file looked for
        assertThatThrownBy(() -> cache.snapshot("org/name", null))
                .isInstanceOf(NotInCacheException.class)
                .hasMessageContaining("'org/name' at revision 'main'")
                .hasMessageContaining(repo.resolve("refs/main") + " (absent)");
        // .no_exist marks adapter_config.json absent at that commit: loading it as an adapter
        // fails on the missing file, as PEFT does
        assertThatThrownBy(() -> dev.lorahub.LoraModule.load(cache.snapshot("org/name", "refs/pr/1")))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageContaining("adapter_model.safetensors");
    }

    @Test
    void refs_and_revisions_cannot_lead_out_of_the_repo_folder() throws IOException {
        Path repo = tmp.resolve("models--org--name");
        Files.createDirectories(repo.resolve("refs"));
        Files.createDirectories(repo.resolve("snapshots"));
        Files.writeString(repo.resolve("refs/main"), "../../../etc");
        assertThatThrownBy(() -> HfCache.at(tmp).snapshot("org/name", null))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageStartingWith(repo.resolve("refs/main").toString())
                .hasMessageContaining("'../../../etc', expected a 40-hex commit id");
        assertThatThrownBy(() -> HfCache.at(tmp).snapshot("org/name", "../../x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("revision '../../x' of 'org/name' is not a ref name");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "google/flan-t5-large, true",
        "gpt2, true",
        "org/name.v1_x, true",
        "a/b/c, false",
        "org--x/name, false",
        "org/na..me, false",
        "../name, false",
        "/abs/path, false",
        "-org/name, false",
        "org/name., false",
        "org/, false",
    })
    void repo_ids_are_validated_as_huggingface_hub_does(String id, boolean valid) {
        assertThat(HfCache.isRepoId(id)).isEqualTo(valid);
    }

    @Test
    void an_existing_path_wins_and_a_revision_given_twice_must_agree() throws IOException {
        Path hub = TestData.require("hf-cache").resolve("hub");
        HfCache cache = HfCache.at(hub);
        assertThat(cache.locate(tmp.toString(), "dev")).isEqualTo(tmp);
        assertThat(cache.locate("lorahub-test/tiny-llama", "dev"))
                .isEqualTo(cache.snapshot("lorahub-test/tiny-llama", "dev"));
        assertThat(cache.locate("lorahub-test/tiny-llama@dev", "dev"))
                .isEqualTo(cache.snapshot("lorahub-test/tiny-llama", "dev"));
        assertThatThrownBy(() -> cache.locate("lorahub-test/tiny-llama@dev", "main"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("names revision 'dev' but revision 'main' was also given");
        // neither a path nor an id: handed back for the caller's own "no such file" error
        assertThat(cache.locate(tmp.resolve("absent").toString(), null))
                .isEqualTo(tmp.resolve("absent"));
    }
}
