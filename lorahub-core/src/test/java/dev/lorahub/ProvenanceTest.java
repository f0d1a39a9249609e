package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link Provenance#fromJson} refuses malformed fields naming the key instead of reading 0. */
class ProvenanceTest {
    static final Provenance P =
            new Provenance(
                    List.of(new Provenance.ModuleRef("m0", "ab12", Provenance.CONTENT_HASH)),
                    3,
                    "all",
                    "toy",
                    5,
                    "LORAHUB",
                    "cobyla",
                    40,
                    42,
                    -1.5,
                    1.5,
                    0.05,
                    5,
                    "1.0",
                    Instant.parse("2026-01-02T03:04:05Z"),
                    new Provenance.BaseModelSource(
                            "/models/cache/models--org--m/snapshots/c0ffee",
                            "org/m",
                            "c0ffee",
                            List.of(new Provenance.FileRef("config.json", "cd34"))));

    @ParameterizedTest(name = "{0}: {1} -> {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                "budget | \"forty\" | 'budget'",
                "budget | 40.5 | 'budget'",
                "budget | 99999999999 | 'budget'",
                "seed | \"42\" | 'seed'",
                "lower_bound | \"-1.5\" | 'lower_bound'",
                "regularization | true | 'regularization'",
                "strategy | 7 | 'strategy'",
                "created | \"yesterday\" | 'created'",
                "modules | {} | 'modules'",
                "modules | [{\"name\": 1, \"sha256\": \"ab\", \"hashed\": \"tensors\"}] | 'name'",
                "base_model_source | [] | 'base_model_source'",
                "base_model_source | {\"files\": 3} | 'base_model_source.files'",
                "base_model_source | {\"files\": [{\"file\": \"x\"}]} | 'sha256'",
                "base_model_source | {\"files\": [], \"hub_id\": 7} | 'hub_id'",
            })
    void malformed_fields_are_refused_naming_the_key(String key, String value, String named)
            throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(P.toJson());
        root.set(key, mapper.readTree(value));
        String json = mapper.writeValueAsString(root);
        assertThatThrownBy(() -> Provenance.fromJson(json))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(named);
    }

    @Test
    void what_to_json_writes_reads_back_equal() {
        assertThat(Provenance.fromJson(P.toJson())).isEqualTo(P);
        Provenance unknown =
                new Provenance(
                        P.modules(),
                        3,
                        "all",
                        "toy",
                        5,
                        "LORAHUB",
                        "cobyla",
                        40,
                        42,
                        -1.5,
                        1.5,
                        0.05,
                        5,
                        "1.0",
                        P.created(),
                        Provenance.BaseModelSource.UNKNOWN);
        assertThat(unknown.toJson()).doesNotContain("base_model_source");
        assertThat(Provenance.fromJson(unknown.toJson())).isEqualTo(unknown);
    }
}
