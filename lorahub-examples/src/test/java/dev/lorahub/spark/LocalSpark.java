package dev.lorahub.spark;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/** A Spark session in this JVM for the tests, and a JSON Lines writer for task tables. */
final class LocalSpark {
    private LocalSpark() {}

    /** The master of the tests: 2 task threads, each Spark task tried at most twice. */
    static final String MASTER = "local[2,2]";

    private static SparkSession session;

    /**
     * @return the tests' session, started on first use and shared by the test classes of this JVM
     *     (Spark's shutdown hook stops it): {@link #MASTER}, driver on the loopback address, no UI,
     *     2 shuffle partitions
     */
    static synchronized SparkSession session() {
        if (session == null) {
            session = start(MASTER);
        }
        return session;
    }

    private static SparkSession start(String master) {
        return SparkSession.builder()
                .master(master)
                .appName("lorahub-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
    }

    /** Writes each element of an array as one line. */
    static Path jsonl(Path file, JsonNode array) throws IOException {
        StringBuilder b = new StringBuilder();
        array.forEach(n -> b.append(n.toString()).append('\n'));
        Files.writeString(file, b.toString());
        return file;
    }
}
