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
