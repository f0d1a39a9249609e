package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DemoCommandTest {
    @Test
    void default_hub_is_found_beside_the_build_output_when_not_under_the_working_directory() {
        // surefire runs in lorahub-examples/, where lorahub-examples/hub does not exist, so the
        // default must come from the location of the classes (target/classes -> ../hub)
        assertThat(Path.of("lorahub-examples", "hub")).doesNotExist();

        Path hub = DemoCommand.defaultHub();

        assertThat(hub.resolve("hub.json")).isRegularFile();
        assertThat(hub.toAbsolutePath().normalize())
                .isEqualTo(Path.of("hub").toAbsolutePath().normalize());
        assertThat(Files.isDirectory(hub.resolve("modules"))).isTrue();
    }
}
