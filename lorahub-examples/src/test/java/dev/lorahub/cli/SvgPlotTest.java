package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class SvgPlotTest {

    private static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * @return the bars (rects carrying a data-value), in document order
     */
    private static List<Element> bars(Document doc) {
        NodeList rects = doc.getElementsByTagName("rect");
        List<Element> bars = new ArrayList<>();
        for (int i = 0; i < rects.getLength(); i++) {
            Element e = (Element) rects.item(i);
            if (e.hasAttribute("data-value")) {
                bars.add(e);
            }
        }
        return bars;
    }

    private static double attr(Element e, String name) {
        return Double.parseDouble(e.getAttribute(name));
    }

    private static List<String> texts(Document doc, String cls) {
        NodeList t = doc.getElementsByTagName("text");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < t.getLength(); i++) {
            Element e = (Element) t.item(i);
            if (e.getAttribute("class").equals(cls)) {
                out.add(e.getTextContent());
            }
        }
        return out;
    }

    @Test
    void bar_heights_are_proportional_to_the_values_from_a_common_baseline() throws Exception {
        Document doc =
                parse(SvgPlot.barChart("acc").bar("a", 0.2).bar("b", 0.4).bar("c", 0.8).render());
        List<Element> bars = bars(doc);
        assertThat(bars).hasSize(3);
        double h0 = attr(bars.get(0), "height");
        // pixel coordinates are rounded to 0.01: tolerance 0.02 px
        assertThat(attr(bars.get(1), "height")).isCloseTo(2 * h0, within(0.02));
        assertThat(attr(bars.get(2), "height")).isCloseTo(4 * h0, within(0.02));
        double base0 = attr(bars.get(0), "y") + h0;
        for (Element b : bars) {
            assertThat(attr(b, "y") + attr(b, "height")).isCloseTo(base0, within(0.02));
        }
        assertThat(texts(doc, "category")).containsExactly("a", "b", "c");
        assertThat(texts(doc, "title")).containsExactly("acc");
    }

    @Test
    void negative_bars_hang_below_the_zero_line() throws Exception {
        List<Element> bars =
                bars(parse(SvgPlot.barChart("d").bar("up", 3).bar("down", -1).render()));
        double zeroUp = attr(bars.get(0), "y") + attr(bars.get(0), "height");
        double zeroDown = attr(bars.get(1), "y");
        assertThat(zeroDown).isCloseTo(zeroUp, within(0.02));
        assertThat(attr(bars.get(1), "height") * 3)
                .isCloseTo(attr(bars.get(0), "height"), within(0.06));
    }

    @Test
    void grouped_bars_get_one_colour_per_series_and_a_legend() throws Exception {
        SvgPlot p =
                SvgPlot.barChart("by task")
                        .bar("task1", "zero-shot", 0.1)
                        .bar("task1", "lorahub", 0.3)
                        .bar("task2", "zero-shot", 0.2)
                        .bar("task2", "lorahub", 0.25);
        Document doc = parse(p.render());
        List<Element> bars = bars(doc);
        assertThat(bars)
                .extracting(e -> e.getAttribute("fill"))
                .containsExactly(
                        SvgPlot.color(0), SvgPlot.color(1), SvgPlot.color(0), SvgPlot.color(1));
        assertThat(texts(doc, "legend")).containsExactly("zero-shot", "lorahub");
        assertThat(attr(bars.get(1), "x")).isGreaterThan(attr(bars.get(0), "x"));
        assertThat(attr(bars.get(2), "x")).isGreaterThan(attr(bars.get(1), "x"));
    }

    @Test
    void up_to_twenty_series_get_distinct_colours() throws Exception {
        // the demo plots 13 series (Method); Tableau 10 alone would repeat three colours
        SvgPlot p = SvgPlot.barChart("many").size(1200, 480);
        for (int i = 0; i < 20; i++) {
            p = p.bar("task", "s" + i, i + 1);
        }
        List<String> fills =
                bars(parse(p.render())).stream().map(e -> e.getAttribute("fill")).toList();
        assertThat(fills).hasSize(20).doesNotHaveDuplicates();
        assertThat(SvgPlot.color(20)).isEqualTo(SvgPlot.color(0));
    }

    @Test
    void a_single_unnamed_series_has_no_legend() throws Exception {
        Document doc = parse(SvgPlot.barChart("x").bar("a", 1).render());
        assertThat(texts(doc, "legend")).isEmpty();
    }

    @Test
    void labels_are_xml_escaped() throws Exception {
        String svg =
                SvgPlot.barChart("<b> & \"q\"").xLabel("a<b").yLabel("it's").bar("x&y", 1).render();
        Document doc = parse(svg); // would throw if not well-formed
        assertThat(texts(doc, "title")).containsExactly("<b> & \"q\"");
        assertThat(texts(doc, "category")).containsExactly("x&y");
        assertThat(texts(doc, "x")).containsExactly("a<b");
        assertThat(texts(doc, "y")).containsExactly("it's");
    }

    @Test
    void lines_map_points_linearly_and_break_at_nan() throws Exception {
        double[] y = {0, 1, Double.NaN, 3, 4};
        Document doc = parse(SvgPlot.lineChart("loss").series("train", y).render());
        NodeList paths = doc.getElementsByTagName("path");
        assertThat(paths.getLength()).isEqualTo(1);
        String d = ((Element) paths.item(0)).getAttribute("d");
        String[] parts = d.trim().split("\\s+");
        // Mx0 y0 Lx1 y1 Mx3 y3 Lx4 y4: the pen lifts over the NaN
        assertThat(parts).as(d).hasSize(8);
        assertThat(parts[0]).startsWith("M");
        assertThat(parts[2]).startsWith("L");
        assertThat(parts[4]).startsWith("M");
        assertThat(parts[6]).startsWith("L");
        double[] px = new double[4];
        double[] py = new double[4];
        for (int i = 0; i < 4; i++) {
            px[i] = Double.parseDouble(parts[2 * i].substring(1));
            py[i] = Double.parseDouble(parts[2 * i + 1]);
        }
        // x = 0, 1, 3, 4 and y = 0, 1, 3, 4: equal steps in data give equal steps in pixels
        double dx = px[1] - px[0];
        double dy = py[1] - py[0];
        assertThat(px[2] - px[0]).isCloseTo(3 * dx, within(0.03));
        assertThat(px[3] - px[0]).isCloseTo(4 * dx, within(0.03));
        assertThat(py[3] - py[0]).isCloseTo(4 * dy, within(0.03));
        assertThat(dy).as("larger y is drawn higher").isNegative();
        assertThat(doc.getElementsByTagName("circle").getLength()).isEqualTo(4);
    }

    @Test
    void several_lines_share_axes_and_get_a_legend_in_order() throws Exception {
        SvgPlot p =
                SvgPlot.lineChart("search")
                        .xLabel("step")
                        .series("cobyla", new double[] {0, 10, 20}, new double[] {3, 2, 1})
                        .series("cmaes", new double[] {0, 10, 20}, new double[] {3, 1.5, 0.5});
        Document doc = parse(p.render());
        assertThat(doc.getElementsByTagName("path").getLength()).isEqualTo(2);
        assertThat(texts(doc, "legend")).containsExactly("cobyla", "cmaes");
        assertThat(texts(doc, "xtick")).contains("0", "20");
    }

    @Test
    void rendering_is_deterministic() {
        SvgPlot p = SvgPlot.barChart("t").bar("a", 1.5).bar("b", 2.25);
        assertThat(p.render()).isEqualTo(p.render());
        assertThat(SvgPlot.barChart("t").bar("a", 1.5).bar("b", 2.25).render())
                .isEqualTo(p.render());
    }

    @Test
    void settings_return_new_plots_and_leave_the_original_unchanged() {
        SvgPlot empty = SvgPlot.barChart("t");
        SvgPlot one = empty.bar("a", 1);
        assertThat(empty.render()).doesNotContain("data-value");
        assertThat(one.render()).contains("data-value");
    }

    @Test
    void an_empty_chart_still_renders_valid_svg() throws Exception {
        parse(SvgPlot.barChart("none").render());
        parse(SvgPlot.lineChart("none").series("all-nan", new double[] {Double.NaN}).render());
    }

    @Test
    void write_saves_the_rendered_svg_and_leaves_no_temp_file(@TempDir Path dir) throws Exception {
        SvgPlot p = SvgPlot.barChart("t").bar("a", 1);
        Path file = dir.resolve("plot.svg");
        p.write(file);
        p.write(file); // overwriting an earlier plot is fine
        assertThat(Files.readString(file)).isEqualTo(p.render());
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void rejects_misuse_naming_the_values() {
        assertThatThrownBy(() -> SvgPlot.lineChart("l").bar("a", 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("LINE");
        assertThatThrownBy(() -> SvgPlot.barChart("b").series("s", new double[] {1}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("BAR");
        assertThatThrownBy(() -> SvgPlot.barChart("b").bar("a", Double.NaN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a'")
                .hasMessageContaining("NaN");
        assertThatThrownBy(
                        () ->
                                SvgPlot.lineChart("l")
                                        .series("s", new double[] {1, 2}, new double[] {1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 x values but 1 y values");
        assertThatThrownBy(() -> SvgPlot.barChart("b").size(10, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10x10");
    }
}
