package dev.lorahub.model;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.FewShotExample;
import dev.lorahub.LoraHub;
import dev.lorahub.io.HfCache;
import dev.lorahub.io.NotInCacheException;
import dev.lorahub.spi.ModelBackend;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a base model is not found says what was looked for and where, in one line, as a {@link
 * ModelNotFoundException} (or {@link NotInCacheException} for a hub id): not "is the backend's jar
 * on the class path?" when the path is simply wrong.
 */
class ModelLookupTest {
    @TempDir Path tmp;

    private static String backends() {
        return ModelBackends.available().stream().map(ModelBackend::name).toList().toString();
    }

    @Test
    void a_missing_path_is_named_absolute() {
        Path missing = tmp.resolve("models/../models/llama");
        assertThatThrownBy(() -> ModelBackends.load(missing))
                .isInstanceOf(ModelNotFoundException.class)
                .hasMessage(
                        "base model " + tmp.resolve("models/llama") + ": no such file or folder");
    }

    @Test
    void a_folder_no_backend_supports_is_described_with_the_backends_tried() throws IOException {
        Path bert = Files.createDirectories(tmp.resolve("bert"));
        Files.writeString(bert.resolve("config.json"), "{\"model_type\": \"bert\"}");
        assertThatThrownBy(() -> ModelBackends.load(bert))
                .isInstanceOf(ModelNotFoundException.class)
                .hasMessage(
                        "no model backend supports "
                                + bert
                                + " (config.json model_type 'bert'; backends tried: "
                                + backends()
                                + ")");
        Path loose = Files.createDirectories(tmp.resolve("loose"));
        for (String f : List.of("a.txt", "b.bin", "c", "d", "e", "f", "g", "h")) {
            Files.writeString(loose.resolve(f), "");
        }
        assertThatThrownBy(() -> ModelBackends.load(loose))
                .hasMessage(
                        "no model backend supports "
                                + loose
                                + " (no config.json; holds [a.txt, b.bin, c, d, e, f] and 2 more;"
                                + " backends tried: "
                                + backends()
                                + ")");
        Path file = Files.writeString(tmp.resolve("model.onnx"), "12345");
        assertThatThrownBy(() -> ModelBackends.load(file))
                .hasMessageStartingWith(
                        "no model backend supports "
                                + file
                                + " (a file of 5 bytes; backends tried:");
    }

    @Test
    void only_a_class_path_without_backends_is_blamed_on_the_class_path() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("m"));
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        try (URLClassLoader bare = new URLClassLoader(new URL[0], null)) {
            t.setContextClassLoader(bare);
            assertThatThrownBy(() -> ModelBackends.load(folder))
                    .isInstanceOf(ModelNotFoundException.class)
                    .hasMessage(
                            "no model backend on the class path to load "
                                    + folder
                                    + ": add lorahub-djl (it registers a"
                                    + " dev.lorahub.spi.ModelBackend)");
        } finally {
            t.setContextClassLoader(before);
        }
    }

    /** A copy of an hf-tiny adapter whose config names another base model. */
    private Path adapterFor(String baseModel) throws IOException {
        Path src = TestData.require("hf-tiny/llama/adapters/adapter_0");
        Path dst = Files.createDirectories(tmp.resolve("adapter"));
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : files.toList()) {
                Files.copy(f, dst.resolve(f.getFileName().toString()));
            }
        }
        Path config = dst.resolve("adapter_config.json");
        String json = Files.readString(config);
        String key = "\"base_model_name_or_path\": ";
        int at = json.indexOf(key) + key.length();
        int end = json.indexOf(',', at);
        Files.writeString(
                config, json.substring(0, at) + "\"" + baseModel + "\"" + json.substring(end));
        return dst;
    }

    @Test
    void a_run_names_the_adapter_config_key_and_the_path_it_tried() throws IOException {
        Path missing = tmp.resolve("no-such-model");
        Path adapter = adapterFor(missing.toString());
        assertThatThrownBy(
                        () ->
                                LoraHub.load(List.of(adapter))
                                        .fewShot(List.of(FewShotExample.of("a", "b")))
                                        .hfCache(HfCache.at(tmp.resolve("hub")))
                                        .run())
                .isInstanceOf(ModelNotFoundException.class)
                .hasMessage(
                        "base model of module 'adapter' ("
                                + adapter.resolve("adapter_config.json")
                                + " base_model_name_or_path '"
                                + missing
                                + "'; or pass a loaded model with .on(model)): base model "
                                + missing
                                + ": no such file or folder");
    }

    @Test
    void a_run_names_the_hub_id_revision_and_cache_it_looked_in() throws IOException {
        Path adapter = adapterFor("org/absent-model");
        Path hub = tmp.resolve("hub");
        assertThatThrownBy(
                        () ->
                                LoraHub.load(List.of(adapter))
                                        .fewShot(List.of(FewShotExample.of("a", "b")))
                                        .hfCache(HfCache.at(hub))
                                        .revision("v2")
                                        .run())
                .isInstanceOf(NotInCacheException.class)
                .hasMessageStartingWith(
                        "base model of module 'adapter' ("
                                + adapter.resolve("adapter_config.json")
                                + " base_model_name_or_path 'org/absent-model', revision 'v2'; or"
                                + " pass a loaded model with .on(model)): no folder "
                                + Path.of("org/absent-model").toAbsolutePath()
                                + ", and Hugging Face repo 'org/absent-model' at revision 'v2' is"
                                + " not in the local cache "
                                + hub)
                .hasMessageContaining(hub.resolve("models--org--absent-model") + " (absent)")
                .message()
                .doesNotContain("\n")
                .doesNotContain("class path");
    }
}
