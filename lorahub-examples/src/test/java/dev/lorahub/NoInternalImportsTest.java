package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * lorahub-examples is written against the library users get (issue 10): none of its main sources
 * imports a {@code dev.lorahub..internal..} package.
 */
class NoInternalImportsTest {
    private static final Pattern INTERNAL =
            Pattern.compile("^\\s*import\\s+(static\\s+)?dev\\.lorahub\\.[\\w.]*internal\\b.*$",
                    Pattern.MULTILINE);

    @Test
    void no_main_source_of_the_examples_imports_an_internal_package() throws IOException {
        Path main = Path.of("src/main/java");
        assertThat(main).as("run from the lorahub-examples module folder").isDirectory();
        List<String> found = new ArrayList<>();
        int files = 0;
        try (Stream<Path> s = Files.walk(main)) {
            for (Path p : s.filter(f -> f.toString().endsWith(".java")).toList()) {
                files++;
                Matcher m = INTERNAL.matcher(Files.readString(p));
                while (m.find()) {
                    found.add(main.relativize(p) + ": " + m.group().trim());
                }
            }
        }
        assertThat(files).as("Java files scanned").isGreaterThan(20);
        assertThat(found).as("imports of internal packages").isEmpty();
    }
}
