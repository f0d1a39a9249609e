package dev.lorahub.hub;

import dev.lorahub.cli.SvgPlot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The demo's scores: exact match in percent per held-out task and {@link Method}, their averages,
 * the weights and cost of every LoraHub row, and the wall time.
 *
 * @param tasks one report per held-out task, in suite order
 * @param seconds wall time of the whole run
 */
public record DemoResult(List<DemoResult.TaskReport> tasks, double seconds) {
    /**
     * @param task the held-out task
     * @param scores exact match (%) per method
     * @param weights per method that learns weights (the LoraHub rows: {@code
     *     lorahub_reference}, {@code cobyla_40}, {@code lorahub_best}, {@code recipe_short},
     *     {@code recipe_best}, {@code oracle_search}) the weight of each composed module, by
     *     module, in composition order
     * @param bestSingle the module {@code best_single} chose
     * @param testExamples how many test examples were scored
     * @param predictions per method the decoded answer to each test example, in test-file order
     *     (kept in memory for checks, not written)
     * @param forwardEquivalents per LoraHub method the cost of its weight search in
     *     forward-equivalents ({@link dev.lorahub.LoraHubResult#forwardEquivalents()}: selection
     *     included, a backward counted as two forwards)
     */
    public record TaskReport(
            String task,
            Map<Method, Double> scores,
            Map<Method, Map<String, Double>> weights,
            String bestSingle,
            int testExamples,
            Map<Method, List<String>> predictions,
            Map<Method, Long> forwardEquivalents) {
        /** Copies. */
        public TaskReport {
            scores = Map.copyOf(scores);
            predictions = Map.copyOf(predictions);
            forwardEquivalents = Map.copyOf(forwardEquivalents);
            Map<Method, Map<String, Double>> w = new EnumMap<>(Method.class);
            weights.forEach(
                    (m, byModule) ->
                            w.put(m, Collections.unmodifiableMap(new LinkedHashMap<>(byModule))));
            weights = Collections.unmodifiableMap(w);
        }

        /**
         * @return the weights {@code lorahub_best} found, by module (empty if it did not run)
         */
        public Map<String, Double> bestWeights() {
            return weights.getOrDefault(Method.LORAHUB_BEST, Map.of());
        }
    }

    /** Copies. */
    public DemoResult {
        tasks = List.copyOf(tasks);
    }

    /**
     * @param method a method
     * @return its mean exact match over the tasks
     */
    public double average(Method method) {
        return tasks.stream().mapToDouble(t -> t.scores().get(method)).average().orElse(Double.NaN);
    }

    /**
     * @return {@code task,method,exact_match} rows, then the AVERAGE rows
     */
    public String csv() {
        StringBuilder b = new StringBuilder("task,method,exact_match\n");
        for (TaskReport t : tasks) {
            for (Method m : Method.values()) {
                b.append(t.task())
                        .append(',')
                        .append(m.id())
                        .append(',')
                        .append(fmt(t.scores().get(m)))
                        .append('\n');
            }
        }
        for (Method m : Method.values()) {
            b.append("AVERAGE,").append(m.id()).append(',').append(fmt(average(m))).append('\n');
        }
        return b.toString();
    }

    /**
     * @return the Markdown table (tasks as rows, methods as columns) and the weights found
     */
    public String markdown() {
        StringBuilder b = new StringBuilder("| task |");
        for (Method m : Method.values()) {
            b.append(' ').append(m.id()).append(" |");
        }
        b.append("\n|---|");
        b.append("---:|".repeat(Method.values().length)).append('\n');
        for (TaskReport t : tasks) {
            b.append("| ").append(t.task()).append(" |");
            for (Method m : Method.values()) {
                b.append(' ').append(fmt(t.scores().get(m))).append(" |");
            }
            b.append('\n');
        }
        b.append("| **AVERAGE** |");
        for (Method m : Method.values()) {
            b.append(" **").append(fmt(average(m))).append("** |");
        }
        b.append("\n\nExact match in percent on ")
                .append(tasks.isEmpty() ? 0 : tasks.get(0).testExamples())
                .append(" test examples per task; 5 examples per task. Wall time ")
                .append(String.format(Locale.ROOT, "%.0f", seconds))
                .append(" s.\n\n");
        b.append("Forward-equivalents per task of the weight search (selection included):");
        for (Method m : Method.values()) {
            OptionalDouble fe =
                    tasks.stream()
                            .filter(t -> t.forwardEquivalents().containsKey(m))
                            .mapToLong(t -> t.forwardEquivalents().get(m))
                            .average();
            if (fe.isPresent()) {
                b.append(' ')
                        .append(m.id())
                        .append(' ')
                        .append(String.format(Locale.ROOT, "%.0f", fe.getAsDouble()))
                        .append(',');
            }
        }
        b.setLength(b.length() - 1);
        b.append(".\n");
        for (Method m : Method.values()) {
            if (tasks.stream().noneMatch(t -> t.weights().containsKey(m))) {
                continue;
            }
            b.append("\nWeights ").append(m.id()).append(" found (largest |w| first, top 6):\n\n");
            for (TaskReport t : tasks) {
                b.append("- ").append(t.task()).append(": ");
                List<Map.Entry<String, Double>> w =
                        t.weights().getOrDefault(m, Map.of()).entrySet().stream()
                                .sorted(Comparator.comparingDouble(e -> -Math.abs(e.getValue())))
                                .limit(6)
                                .toList();
                for (int i = 0; i < w.size(); i++) {
                    b.append(i == 0 ? "" : ", ")
                            .append(w.get(i).getKey())
                            .append(' ')
                            .append(String.format(Locale.ROOT, "%+.2f", w.get(i).getValue()));
                }
                b.append(m == Method.LORAHUB_BEST ? " (best single: " + t.bestSingle() + ")" : "")
                        .append('\n');
            }
        }
        return b.toString();
    }

    /**
     * @return a grouped bar chart: per task, one bar per method, plus the average
     */
    public SvgPlot plot() {
        SvgPlot p =
                SvgPlot.barChart("LoraHub demo: exact match on held-out tasks")
                        .xLabel("held-out task")
                        .yLabel("exact match (%)")
                        .size(Math.max(640, 110 * (tasks.size() + 1)), 420);
        for (TaskReport t : tasks) {
            for (Method m : Method.values()) {
                p = p.bar(t.task(), m.id(), t.scores().get(m));
            }
        }
        for (Method m : Method.values()) {
            p = p.bar("AVERAGE", m.id(), average(m));
        }
        return p;
    }

    /**
     * Writes {@code results.csv}, {@code results.md} and {@code results.svg} into a folder.
     *
     * @param dir the output folder, created if absent
     * @throws IOException if writing fails
     */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        atomicWrite(dir.resolve("results.csv"), csv());
        atomicWrite(dir.resolve("results.md"), markdown());
        plot().write(dir.resolve("results.svg"));
    }

    private static void atomicWrite(Path file, String text) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(
                    tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
