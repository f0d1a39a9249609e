package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adapters in folders of the same name get distinct names; names the user gives must not clash. */
class ModuleNamesTest {
    private static final Path ADAPTERS = TestData.require("hf-tiny/llama/adapters");

    @TempDir Path tmp;

    private Path copy(String adapter, String to) throws IOException {
        Path dst = tmp.resolve(to);
        Files.createDirectories(dst);
        try (Stream<Path> files = Files.list(ADAPTERS.resolve(adapter))) {
            for (Path f : files.toList()) {
                Files.copy(f, dst.resolve(f.getFileName().toString()));
            }
        }
        return dst;
    }

    @Test
    void folders_of_the_same_name_are_named_by_the_shortest_distinguishing_suffix()
            throws IOException {
        Path a = copy("adapter_0", "runs/run1/adapter");
        Path b = copy("adapter_1", "runs/run2/adapter");
        Path c = copy("adapter_2", "x/run1/adapter");
        Path d = copy("adapter_2", "solo");
        List<LoraModule> m = LoraModule.loadAll(List.of(a, b, c, d));
        assertThat(m)
                .extracting(LoraModule::name)
                .containsExactly("runs/run1/adapter", "run2/adapter", "x/run1/adapter", "solo");
        // the layers are the loaded ones, in order
        assertThat(m.get(1).layers().keySet())
                .isEqualTo(LoraModule.load(ADAPTERS.resolve("adapter_1")).layers().keySet());
        assertThat(m.get(1).sourceFolders()).containsExactly(b.toAbsolutePath().normalize());
    }

    @Test
    void two_folders_of_the_same_name_compose_and_report_weights_by_their_distinct_names()
            throws IOException {
        Path a = copy("adapter_0", "run1/adapter");
        Path b = copy("adapter_1", "run2/adapter");
        ComposeStep step = LoraHub.load(List.of(a, b));
        assertThat(step).isNotNull();
        assertThat(LoraModule.loadAll(List.of(a, b)))
                .extracting(LoraModule::name)
                .containsExactly("run1/adapter", "run2/adapter");
    }

    @Test
    void unique_folder_names_are_kept_as_they_are() throws IOException {
        List<LoraModule> m =
                LoraModule.loadAll(
                        List.of(ADAPTERS.resolve("adapter_0"), ADAPTERS.resolve("adapter_1")));
        assertThat(m).extracting(LoraModule::name).containsExactly("adapter_0", "adapter_1");
    }

    @Test
    void the_same_folder_twice_is_refused_naming_it() throws IOException {
        Path a = copy("adapter_0", "run1/adapter");
        Path same = tmp.resolve("run1/../run1/adapter");
        assertThatThrownBy(() -> LoraModule.loadAll(List.of(a, same)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "adapter "
                                + a.toAbsolutePath().normalize()
                                + " is given twice (entries 0 and 1)");
    }

    @Test
    void a_name_clash_the_user_made_names_both_folders() throws IOException {
        Path a = copy("adapter_0", "run1/adapter");
        Path b = copy("adapter_1", "run2/adapter");
        LoraModule x = LoraModule.load(a).withName("mine");
        LoraModule y = LoraModule.load(b).withName("mine");
        assertThatThrownBy(() -> LoraHub.compose(x, y))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "modules 0 ("
                                + a.toAbsolutePath().normalize()
                                + ") and 1 ("
                                + b.toAbsolutePath().normalize()
                                + ") are both named 'mine'; weights are reported by name, so names"
                                + " must be distinct: rename one (LoraModule.withName; lorahub --modules NAME=DIR)");
        assertThat(LoraHub.compose(x, y.withName("yours"))).isNotNull();
    }

    @Test
    void modules_loaded_one_by_one_from_folders_of_the_same_name_compose_under_distinct_names()
            throws IOException {
        Path a = copy("adapter_0", "run1/adapter");
        Path b = copy("adapter_1", "run2/adapter");
        ComposeStep step = LoraHub.compose(LoraModule.load(a), LoraModule.load(b));
        assertThat(step.modules())
                .extracting(LoraModule::name)
                .containsExactly("run1/adapter", "run2/adapter");
        // the same names as LoraHub.load and LoraModule.loadAll give: one rule
        assertThat(LoraHub.load(List.of(a, b)).modules())
                .extracting(LoraModule::name)
                .containsExactly("run1/adapter", "run2/adapter");
    }

    @Test
    void a_chosen_name_is_kept_and_a_folder_named_like_it_is_told_apart_by_its_path()
            throws IOException {
        Path a = copy("adapter_0", "run1/mine");
        Path b = copy("adapter_1", "run2/adapter");
        Path c = copy("adapter_2", "run3/adapter");
        List<LoraModule> m =
                LoraModule.distinctlyNamed(
                        List.of(
                                LoraModule.load(a),
                                LoraModule.load(b).withName("mine"),
                                LoraModule.load(c)));
        assertThat(m).extracting(LoraModule::name).containsExactly("run1/mine", "mine", "adapter");
    }
}
