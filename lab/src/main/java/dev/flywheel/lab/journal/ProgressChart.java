package dev.flywheel.lab.journal;

import dev.flywheel.engine.AtomicFiles;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.Metric;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code progress.png}: the metric of every run in order, kept runs highlighted, the running best as a step
 * line, crashed runs as red crosses along the top. Runs far worse than the rest (a diverged learning rate)
 * are drawn at the top edge as triangles instead of squashing everything else into a flat line.
 * Rendered headless and written through a temporary file and a rename, so a viewer never sees half a PNG.
 */
public final class ProgressChart {

    static {
        // Charts are drawn off-screen; without this, AWT looks for a display on a server and fails.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private static final Color DISCARDED = new Color(0x9E, 0x9E, 0x9E);
    private static final Color KEPT = new Color(0x2E, 0x7D, 0x32);
    private static final Color BEST = new Color(0x15, 0x65, 0xC0);
    private static final Color CRASHED = new Color(0xC6, 0x28, 0x28);
    private static final Color OFF_SCALE = new Color(0xEF, 0x6C, 0x00);

    public static final int WIDTH = 1000;
    public static final int HEIGHT = 560;

    private ProgressChart() {
    }

    /** Draws the runs (in any order; they are placed by ordinal) and writes the PNG. */
    public static void write(Path png, String title, Metric metric, List<RunEntry> runs) {
        var chart = chart(title, metric, runs);
        try {
            var dir = png.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            AtomicFiles.write(png, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new LabException("progress chart " + png + " cannot be written (" + e.getMessage() + "); check the study folder");
        }
    }

    static XYChart chart(String title, Metric metric, List<RunEntry> runs) {
        var sorted = runs.stream().sorted(java.util.Comparator.comparingInt(RunEntry::ordinal)).toList();
        var chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title(title + " — " + metric.id() + " per run (lower is better)")
                .xAxisTitle("run").yAxisTitle(metric.id()).build();
        style(chart);

        var values = sorted.stream().filter(r -> r.status().evaluated() && finite(r.metric()))
                .map(RunEntry::metric).sorted().toList();
        double lo, hi;
        if (values.isEmpty()) {
            lo = 0;
            hi = 1;
        } else {
            lo = values.getFirst();
            double median = values.get(values.size() / 2);
            double spread = Math.max(median - lo, Math.max(Math.abs(lo) * 0.01, 1e-6));
            // Anything more than four median-spreads above the best is off the scale: it says "much worse",
            // and plotting its value would flatten the differences that matter.
            hi = Math.min(values.getLast(), lo + 4 * spread);
            if (hi <= lo) hi = lo + spread;
        }
        double pad = (hi - lo) * 0.06;
        double top = hi + pad;

        var discarded = new Series();
        var kept = new Series();
        var crashed = new Series();
        var offScale = new Series();
        var best = new Series();
        Double bestSoFar = null;
        for (var r : sorted) {
            boolean hasMetric = r.status().evaluated() && finite(r.metric());
            if (!hasMetric) crashed.add(r.ordinal(), top);
            else if (r.metric() > hi) offScale.add(r.ordinal(), top);
            else if (r.kept()) kept.add(r.ordinal(), r.metric());
            else discarded.add(r.ordinal(), r.metric());
            if (r.kept() && hasMetric && (bestSoFar == null || r.metric() < bestSoFar)) bestSoFar = r.metric();
            if (bestSoFar != null) best.add(r.ordinal(), Math.min(bestSoFar, top));
        }
        if (best.size() == 1) best.add(best.x.getFirst() + 0.5, best.y.getFirst()); // a step line needs two points
        best.addTo(chart, "best so far", XYSeries.XYSeriesRenderStyle.Step, SeriesMarkers.NONE, BEST, 2.5f);
        discarded.addTo(chart, "discarded", XYSeries.XYSeriesRenderStyle.Scatter, SeriesMarkers.CIRCLE, DISCARDED, 0);
        kept.addTo(chart, "kept", XYSeries.XYSeriesRenderStyle.Scatter, SeriesMarkers.DIAMOND, KEPT, 0);
        offScale.addTo(chart, "worse (off the scale)", XYSeries.XYSeriesRenderStyle.Scatter, SeriesMarkers.TRIANGLE_UP, OFF_SCALE, 0);
        crashed.addTo(chart, "crashed or diverged", XYSeries.XYSeriesRenderStyle.Scatter, SeriesMarkers.CROSS, CRASHED, 0);
        if (chart.getSeriesMap().isEmpty()) {
            // Nothing has run yet: an empty, labelled chart rather than no file.
            var none = chart.addSeries("no runs yet", new double[]{1}, new double[]{0.5});
            none.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            none.setMarker(SeriesMarkers.NONE);
        }

        // Whole-number bounds and at most one label per run keep XChart's ticks on whole runs. (Its tick-label
        // formatting functions would do it too, but with one set XChart 3.8 drops the axis labels altogether.)
        int n = sorted.isEmpty() ? 1 : sorted.getLast().ordinal();
        chart.getStyler().setXAxisMin(0.0).setXAxisMax(n + 1.0);
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setXAxisMaxLabelCount(n + 2);
        chart.getStyler().setYAxisMin(lo - pad).setYAxisMax(top + pad * 0.5);
        // Enough decimals that neighbouring ticks differ, however close the runs are.
        int decimals = (int) Math.clamp(Math.ceil(-Math.log10((hi - lo) / 8)), 1, 8);
        chart.getStyler().setYAxisDecimalPattern("0." + "0".repeat(decimals));
        return chart;
    }

    /** The lab's chart look (white, light grid, legend below); loading this class also makes AWT headless. */
    public static void style(XYChart chart) {
        var s = chart.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderColor(new Color(0xBD, 0xBD, 0xBD));
        s.setPlotGridLinesColor(new Color(0xEE, 0xEE, 0xEE));
        s.setChartTitleBoxVisible(false);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
        s.setLegendBorderColor(Color.WHITE);
        s.setMarkerSize(11);
        s.setAntiAlias(true);
    }

    private static boolean finite(Double d) {
        return d != null && Double.isFinite(d);
    }

    private static final class Series {
        final List<Double> x = new ArrayList<>();
        final List<Double> y = new ArrayList<>();

        void add(double xv, double yv) {
            x.add(xv);
            y.add(yv);
        }

        int size() {
            return x.size();
        }

        void addTo(XYChart chart, String name, XYSeries.XYSeriesRenderStyle style, Marker marker, Color color, float line) {
            if (x.isEmpty()) return;
            var series = chart.addSeries(name, x, y);
            series.setXYSeriesRenderStyle(style);
            series.setMarker(marker);
            series.setMarkerColor(color);
            series.setLineColor(color);
            if (line > 0) series.setLineStyle(new BasicStroke(line));
        }
    }
}
