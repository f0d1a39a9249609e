package dev.lorahub.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A small SVG chart writer with no dependencies: bar charts (optionally grouped) and line charts.
 * Immutable: every setting returns a new plot; {@link #render()} returns the SVG text and {@link
 * #write(Path)} saves it atomically.
 *
 * <pre>{@code
 * SvgPlot.barChart("Accuracy on BBH").yLabel("exact match")
 *         .bar("zero-shot", 0.31).bar("lorahub", 0.42)
 *         .write(out.resolve("accuracy.svg"));
 *
 * SvgPlot.lineChart("Search").xLabel("step").yLabel("loss")
 *         .series("cobyla", losses)                  // x = 0, 1, 2, ...
 *         .series("cmaes", steps, otherLosses)       // explicit x
 *         .render();
 * }</pre>
 *
 * <p>Bars grow from 0 (negative values go down); grouped bars ({@link #bar(String, String,
 * double)}) put one bar per series side by side in each category, in insertion order. Lines skip
 * NaN points, leaving a gap. Axes get "nice" ticks (1, 2, 2.5, 5 x 10^k). Output is deterministic:
 * the same plot renders to the same bytes.
 */
public final class SvgPlot {
    /** What the plot draws. */
    public enum Kind {
        /** Vertical bars per category, grouped by series. */
        BAR,
        /** Polylines of (x, y) points, one per series. */
        LINE
    }

    private record Bar(String category, String series, double value) {}

    private record Series(String name, double[] x, double[] y) {}

    /**
     * Tableau 10 colours, then ten more from Tableau 20 that differ from them (the demo plots 13
     * series); cycled by series after 20.
     */
    private static final String[] PALETTE = {
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
        "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
        "#499894", "#b6992d", "#79706e", "#d37295", "#a0cbe8",
        "#ffbe7d", "#8cd17d", "#d4a6c8", "#f1ce63", "#d7b5a6"
    };

    private final Kind kind;
    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final int width;
    private final int height;
    private final List<Bar> bars;
    private final List<Series> lines;

    private SvgPlot(
            Kind kind,
            String title,
            String xLabel,
            String yLabel,
            int width,
            int height,
            List<Bar> bars,
            List<Series> lines) {
        this.kind = kind;
        this.title = Objects.requireNonNull(title, "title");
        this.xLabel = Objects.requireNonNull(xLabel, "xLabel");
        this.yLabel = Objects.requireNonNull(yLabel, "yLabel");
        if (width < 200 || height < 150) {
            throw new IllegalArgumentException(
                    "plot '"
                            + title
                            + "': size must be at least 200x150, got "
                            + width
                            + "x"
                            + height);
        }
        this.width = width;
        this.height = height;
        this.bars = List.copyOf(bars);
        this.lines = List.copyOf(lines);
    }

    /**
     * @param title drawn at the top
     * @return an empty bar chart, 640x400
     */
    public static SvgPlot barChart(String title) {
        return new SvgPlot(Kind.BAR, title, "", "", 640, 400, List.of(), List.of());
    }

    /**
     * @param title drawn at the top
     * @return an empty line chart, 640x400
     */
    public static SvgPlot lineChart(String title) {
        return new SvgPlot(Kind.LINE, title, "", "", 640, 400, List.of(), List.of());
    }

    /**
     * @return BAR or LINE
     */
    public Kind kind() {
        return kind;
    }

    /**
     * @return a copy with this x-axis caption
     */
    public SvgPlot xLabel(String label) {
        return new SvgPlot(kind, title, label, yLabel, width, height, bars, lines);
    }

    /**
     * @return a copy with this y-axis caption
     */
    public SvgPlot yLabel(String label) {
        return new SvgPlot(kind, title, xLabel, label, width, height, bars, lines);
    }

    /**
     * @return a copy of this size in pixels (at least 200x150)
     */
    public SvgPlot size(int newWidth, int newHeight) {
        return new SvgPlot(kind, title, xLabel, yLabel, newWidth, newHeight, bars, lines);
    }

    /**
     * @param category the bar's label on the x axis
     * @param value its height, finite
     * @return a copy with one more bar (single series)
     */
    public SvgPlot bar(String category, double value) {
        return bar(category, "", value);
    }

    /**
     * @param category the group on the x axis
     * @param series which bar within the group (colour and legend entry)
     * @param value its height, finite
     * @return a copy with one more bar
     */
    public SvgPlot bar(String category, String series, double value) {
        requireKind(Kind.BAR, "bar");
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(
                    "plot '"
                            + title
                            + "': bar '"
                            + category
                            + "' value must be finite, got "
                            + value);
        }
        List<Bar> more = new ArrayList<>(bars);
        more.add(new Bar(Objects.requireNonNull(category, "category"), series, value));
        return new SvgPlot(kind, title, xLabel, yLabel, width, height, more, lines);
    }

    /**
     * @param name the legend entry
     * @param y the values, plotted at x = 0, 1, 2, ...; NaN leaves a gap
     * @return a copy with one more line
     */
    public SvgPlot series(String name, double[] y) {
        double[] x = new double[y.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        return series(name, x, y);
    }

    /**
     * @param name the legend entry
     * @param x the abscissas, finite
     * @param y the values, same length; NaN leaves a gap, infinities are refused
     * @return a copy with one more line
     */
    public SvgPlot series(String name, double[] x, double[] y) {
        requireKind(Kind.LINE, "series");
        if (x.length != y.length) {
            throw new IllegalArgumentException(
                    "plot '"
                            + title
                            + "': series '"
                            + name
                            + "' has "
                            + x.length
                            + " x values but "
                            + y.length
                            + " y values");
        }
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i]) || Double.isInfinite(y[i])) {
                throw new IllegalArgumentException(
                        "plot '"
                                + title
                                + "': series '"
                                + name
                                + "' point "
                                + i
                                + " is ("
                                + x[i]
                                + ", "
                                + y[i]
                                + "); x must be finite, y finite or NaN");
            }
        }
        List<Series> more = new ArrayList<>(lines);
        more.add(new Series(Objects.requireNonNull(name, "name"), x.clone(), y.clone()));
        return new SvgPlot(kind, title, xLabel, yLabel, width, height, bars, more);
    }

    /**
     * Writes the SVG to a temp file beside {@code file} and moves it into place.
     *
     * @param file the target, e.g. {@code accuracy.svg}; its folder must exist
     * @throws IOException if writing fails
     */
    public void write(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, render(), StandardCharsets.UTF_8);
            Files.move(
                    tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * @return the chart as a standalone SVG document
     */
    public String render() {
        return new SvgRenderer(this).render();
    }

    private void requireKind(Kind wanted, String what) {
        if (kind != wanted) {
            throw new IllegalStateException(
                    "plot '"
                            + title
                            + "' is a "
                            + kind
                            + " chart; "
                            + what
                            + "() needs a "
                            + wanted
                            + " chart");
        }
    }

    // --- accessors for the renderer ---

    String title() {
        return title;
    }

    String xCaption() {
        return xLabel;
    }

    String yCaption() {
        return yLabel;
    }

    int width() {
        return width;
    }

    int height() {
        return height;
    }

    List<String> categories() {
        LinkedHashSet<String> c = new LinkedHashSet<>();
        bars.forEach(b -> c.add(b.category()));
        return List.copyOf(c);
    }

    /**
     * @return bar series names, distinct in insertion order; or every line's name, in order
     */
    List<String> seriesNames() {
        if (kind == Kind.LINE) {
            return lines.stream().map(Series::name).toList();
        }
        LinkedHashSet<String> s = new LinkedHashSet<>();
        bars.forEach(b -> s.add(b.series()));
        return List.copyOf(s);
    }

    /**
     * @return the bar value, or NaN when that category has no bar of that series
     */
    double barValue(String category, String series) {
        double v = Double.NaN;
        for (Bar b : bars) {
            if (b.category().equals(category) && b.series().equals(series)) {
                v = b.value(); // the last one given wins
            }
        }
        return v;
    }

    List<double[]> lineX() {
        return lines.stream().map(Series::x).toList();
    }

    List<double[]> lineY() {
        return lines.stream().map(Series::y).toList();
    }

    static String color(int seriesIndex) {
        return PALETTE[seriesIndex % PALETTE.length];
    }

    static String num(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
