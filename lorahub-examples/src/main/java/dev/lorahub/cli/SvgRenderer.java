package dev.lorahub.cli;

import static dev.lorahub.cli.SvgPlot.num;

import java.util.List;

/** Lays out and draws one {@link SvgPlot}: frame, grid, axes, bars or lines, legend. */
final class SvgRenderer {
    private static final int TICKS = 5;
    private static final String FONT = "font-family=\"sans-serif\"";

    private final SvgPlot plot;
    private final List<String> series;
    private final boolean legend;
    private final StringBuilder svg = new StringBuilder();
    private final double left;
    private final double right;
    private final double top;
    private double bottom;

    SvgRenderer(SvgPlot plot) {
        this.plot = plot;
        this.series = plot.seriesNames();
        this.legend = series.size() > 1 || (series.size() == 1 && !series.get(0).isEmpty());
        this.left = 72;
        this.right = plot.width() - (legend ? 140 : 20);
        this.top = 44;
        this.bottom = plot.height() - 56;
    }

    String render() {
        svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
                .append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
                .append(plot.width())
                .append("\" height=\"")
                .append(plot.height())
                .append("\" viewBox=\"0 0 ")
                .append(plot.width())
                .append(' ')
                .append(plot.height())
                .append("\">\n")
                .append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        text(plot.width() / 2.0, 26, "middle", 16, "", plot.title(), "title");
        if (plot.kind() == SvgPlot.Kind.BAR) {
            drawBars();
        } else {
            drawLines();
        }
        if (!plot.xCaption().isEmpty()) {
            text((left + right) / 2, plot.height() - 12, "middle", 13, "", plot.xCaption(), "x");
        }
        if (!plot.yCaption().isEmpty()) {
            double cy = (top + bottom) / 2;
            text(18, cy, "middle", 13, "rotate(-90 18 " + num(cy) + ")", plot.yCaption(), "y");
        }
        if (legend) {
            drawLegend();
        }
        return svg.append("</svg>\n").toString();
    }

    private void drawBars() {
        List<String> categories = plot.categories();
        double lo = 0;
        double hi = 0;
        for (String c : categories) {
            for (String s : series) {
                double v = plot.barValue(c, s);
                if (!Double.isNaN(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        double slot = (right - left) / Math.max(1, categories.size());
        int longest = categories.stream().mapToInt(String::length).max().orElse(0);
        boolean rotate = longest * 7.0 > slot;
        if (rotate) {
            bottom = plot.height() - 56 - Math.min(120, longest * 5.0);
        }
        SvgAxis y = SvgAxis.covering(lo, hi, TICKS);
        drawYAxis(y);
        double barWidth = slot * 0.8 / Math.max(1, series.size());
        svg.append("<g class=\"bars\">\n");
        for (int ci = 0; ci < categories.size(); ci++) {
            String c = categories.get(ci);
            double groupLeft = left + ci * slot + slot * 0.1;
            for (int si = 0; si < series.size(); si++) {
                double v = plot.barValue(c, series.get(si));
                if (Double.isNaN(v)) {
                    continue;
                }
                double x = groupLeft + si * barWidth;
                double yTop = yPixel(y, Math.max(0, v));
                double yBottom = yPixel(y, Math.min(0, v));
                String name = series.get(si).isEmpty() ? c : c + " / " + series.get(si);
                svg.append("<rect x=\"")
                        .append(num(x))
                        .append("\" y=\"")
                        .append(num(yTop))
                        .append("\" width=\"")
                        .append(num(barWidth * 0.92))
                        .append("\" height=\"")
                        .append(num(yBottom - yTop))
                        .append("\" fill=\"")
                        .append(SvgPlot.color(si))
                        .append("\" data-value=\"")
                        .append(v)
                        .append("\"><title>")
                        .append(escape(name + ": " + SvgAxis.value(v)))
                        .append("</title></rect>\n");
                if (barWidth >= 22) {
                    double ty = v >= 0 ? yTop - 4 : yBottom + 12;
                    text(x + barWidth * 0.46, ty, "middle", 10, "", SvgAxis.value(v), "value");
                }
            }
            double cx = left + (ci + 0.5) * slot;
            if (rotate) {
                double ty = bottom + 14;
                String rot = "rotate(-35 " + num(cx) + " " + num(ty) + ")";
                text(cx, ty, "end", 11, rot, c, "category");
            } else {
                text(cx, bottom + 16, "middle", 11, "", c, "category");
            }
        }
        svg.append("</g>\n");
        line(left, yPixel(y, 0), right, yPixel(y, 0), "#333", 1);
    }

    private void drawLines() {
        List<double[]> xs = plot.lineX();
        List<double[]> ys = plot.lineY();
        double xLo = Double.POSITIVE_INFINITY;
        double xHi = Double.NEGATIVE_INFINITY;
        double yLo = Double.POSITIVE_INFINITY;
        double yHi = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < xs.size(); s++) {
            for (int i = 0; i < xs.get(s).length; i++) {
                if (!Double.isNaN(ys.get(s)[i])) {
                    xLo = Math.min(xLo, xs.get(s)[i]);
                    xHi = Math.max(xHi, xs.get(s)[i]);
                    yLo = Math.min(yLo, ys.get(s)[i]);
                    yHi = Math.max(yHi, ys.get(s)[i]);
                }
            }
        }
        if (xLo > xHi) { // no finite point at all
            xLo = yLo = 0;
            xHi = yHi = 1;
        }
        SvgAxis y = SvgAxis.covering(yLo, yHi, TICKS);
        SvgAxis x = SvgAxis.covering(xLo, xHi, TICKS);
        drawYAxis(y);
        for (double t : x.ticks()) {
            double px = left + x.fraction(t) * (right - left);
            line(px, bottom, px, bottom + 5, "#333", 1);
            text(px, bottom + 18, "middle", 11, "", x.label(t), "xtick");
        }
        svg.append("<g class=\"lines\">\n");
        for (int s = 0; s < xs.size(); s++) {
            StringBuilder d = new StringBuilder();
            boolean pen = false;
            double[] sx = xs.get(s);
            double[] sy = ys.get(s);
            for (int i = 0; i < sx.length; i++) {
                if (Double.isNaN(sy[i])) {
                    pen = false;
                    continue;
                }
                double px = left + x.fraction(sx[i]) * (right - left);
                d.append(pen ? " L" : (d.length() == 0 ? "M" : " M"))
                        .append(num(px))
                        .append(' ')
                        .append(num(yPixel(y, sy[i])));
                pen = true;
            }
            String color = SvgPlot.color(s);
            svg.append("<path d=\"")
                    .append(d)
                    .append("\" fill=\"none\" stroke=\"")
                    .append(color)
                    .append("\" stroke-width=\"2\"/>\n");
            if (sx.length <= 60) {
                for (int i = 0; i < sx.length; i++) {
                    if (!Double.isNaN(sy[i])) {
                        double px = left + x.fraction(sx[i]) * (right - left);
                        svg.append("<circle cx=\"")
                                .append(num(px))
                                .append("\" cy=\"")
                                .append(num(yPixel(y, sy[i])))
                                .append("\" r=\"2.5\" fill=\"")
                                .append(color)
                                .append("\"/>\n");
                    }
                }
            }
        }
        svg.append("</g>\n");
    }

    private void drawYAxis(SvgAxis y) {
        svg.append("<g class=\"grid\">\n");
        for (double t : y.ticks()) {
            double py = yPixel(y, t);
            line(left, py, right, py, "#ddd", 1);
            text(left - 6, py + 4, "end", 11, "", y.label(t), "ytick");
        }
        svg.append("</g>\n");
        line(left, top, left, bottom, "#333", 1);
        line(left, bottom, right, bottom, "#333", 1);
    }

    private void drawLegend() {
        double x = right + 14;
        for (int i = 0; i < series.size(); i++) {
            double y = top + 6 + i * 18;
            svg.append("<rect x=\"")
                    .append(num(x))
                    .append("\" y=\"")
                    .append(num(y - 9))
                    .append("\" width=\"10\" height=\"10\" fill=\"")
                    .append(SvgPlot.color(i))
                    .append("\"/>\n");
            text(x + 15, y, "start", 11, "", series.get(i), "legend");
        }
    }

    private double yPixel(SvgAxis axis, double v) {
        return bottom - axis.fraction(v) * (bottom - top);
    }

    private void line(double x1, double y1, double x2, double y2, String color, double w) {
        svg.append("<line x1=\"")
                .append(num(x1))
                .append("\" y1=\"")
                .append(num(y1))
                .append("\" x2=\"")
                .append(num(x2))
                .append("\" y2=\"")
                .append(num(y2))
                .append("\" stroke=\"")
                .append(color)
                .append("\" stroke-width=\"")
                .append(w)
                .append("\"/>\n");
    }

    private void text(
            double x, double y, String anchor, int size, String transform, String s, String cls) {
        svg.append("<text class=\"")
                .append(cls)
                .append("\" x=\"")
                .append(num(x))
                .append("\" y=\"")
                .append(num(y))
                .append("\" text-anchor=\"")
                .append(anchor)
                .append("\" font-size=\"")
                .append(size)
                .append("\" ")
                .append(FONT);
        if (!transform.isEmpty()) {
            svg.append(" transform=\"").append(transform).append('"');
        }
        svg.append('>').append(escape(s)).append("</text>\n");
    }

    /**
     * @return s with the five XML special characters escaped
     */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                default -> sb.append(c < 0x20 && c != '\t' && c != '\n' ? ' ' : c);
            }
        }
        return sb.toString();
    }
}
