package dev.lorahub.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.djl.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one config-JSON reader of the model families. */
class ConfigJsonTest {
    @TempDir Path tmp;

    private static JsonNode json(String s) throws IOException {
        return new ObjectMapper().readTree(s);
    }

    @Test
    void a_file_that_is_not_json_is_a_format_error_naming_it() throws IOException {
        Path f = Files.writeString(tmp.resolve("config.json"), "{\"model_type\": ");
        assertThatThrownBy(() -> ConfigJson.read(f))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(f + ": not valid JSON");
    }

    @Test
    void integers_are_read_strictly_naming_the_key_and_the_value() throws IOException {
        JsonNode n = json("{\"a\": 7, \"b\": 7.5, \"c\": \"7\", \"d\": null}");
        assertThat(ConfigJson.requiredInt(n, "a")).isEqualTo(7);
        assertThat(ConfigJson.intOr(n, "a", 3)).isEqualTo(7);
        assertThat(ConfigJson.intOr(n, "d", 3)).isEqualTo(3);
        assertThat(ConfigJson.intOr(n, "absent", 3)).isEqualTo(3);
        assertThatThrownBy(() -> ConfigJson.requiredInt(n, "absent"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"absent\"");
        assertThatThrownBy(() -> ConfigJson.requiredInt(n, "b"))
                .hasMessageContaining("\"b\"")
                .hasMessageContaining("7.5");
        assertThatThrownBy(() -> ConfigJson.intOr(n, "c", 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"c\" must be an integer (32-bit), got \"7\"");
    }

    @Test
    void a_token_id_is_a_number_or_the_first_of_a_list() throws IOException {
        JsonNode n = json("{\"one\": 2, \"many\": [5, 9], \"none\": [], \"nil\": null, \"f\": 2.5}");
        assertThat(ConfigJson.tokenId(n, "one", -1)).isEqualTo(2);
        assertThat(ConfigJson.tokenId(n, "many", -1)).isEqualTo(5);
        assertThat(ConfigJson.tokenId(n, "none", -1)).isEqualTo(-1);
        assertThat(ConfigJson.tokenId(n, "nil", 1)).isEqualTo(1);
        assertThat(ConfigJson.tokenId(n, "f", -1)).isEqualTo(-1);
        assertThat(ConfigJson.tokenId(n, "absent", 1)).isEqualTo(1);
    }
}
