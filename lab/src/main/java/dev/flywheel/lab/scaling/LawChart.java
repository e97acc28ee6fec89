package dev.flywheel.lab.scaling;

import dev.flywheel.engine.AtomicFiles;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.journal.ProgressChart;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The fit's PNG: loss against compute (log scale), the points coloured by model size with the law's curve for each
 * size, the compute-optimal frontier, and the held-out points (a ladder's predicted run) as diamonds with their
 * prediction. Written through a temporary file and a rename.
 */
public final class LawChart {

    private static final Color FRONTIER = new Color(0x15, 0x65, 0xC0);
    private static final Color HELD_OUT = new Color(0xC6, 0x28, 0x28);
    private static final Color[] SIZES = {new Color(0x8E, 0x24, 0xAA), new Color(0x3949AB), new Color(0x00897B),
            new Color(0x7CB342), new Color(0xF9A825), new Color(0xEF6C00), new Color(0x6D4C41), new Color(0x546E7A)};

    private LawChart() {
    }

    /**
     * @param fitted  the points the law was fitted on
     * @param heldOut points it was not fitted on (drawn apart, with the law's prediction for each)
     */
    public static void write(Path png, String title, ScalingLaw law, List<ScalingPoint> fitted, List<ScalingPoint> heldOut) {
        var chart = chart(title, law, fitted, heldOut);
        try {
            Files.createDirectories(png.toAbsolutePath().getParent());
            AtomicFiles.write(png, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new LabException("the chart " + png + " cannot be written (" + e.getMessage() + "); check the folder");
        }
    }

    static XYChart chart(String title, ScalingLaw law, List<ScalingPoint> fitted, List<ScalingPoint> heldOut) {
        var chart = new XYChartBuilder().width(ProgressChart.WIDTH).height(ProgressChart.HEIGHT).title(title)
                .xAxisTitle("training compute C = 6ND (FLOPs)").yAxisTitle("loss").build();
        ProgressChart.style(chart);
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setMarkerSize(8);
        var all = new ArrayList<>(fitted);
        all.addAll(heldOut);
        double cMin = all.stream().mapToDouble(ScalingPoint::flops).min().orElse(1);
        double cMax = all.stream().mapToDouble(ScalingPoint::flops).max().orElse(10);
        var sizes = fitted.stream().mapToDouble(ScalingPoint::params).distinct().sorted().toArray();
        // one colour and one law curve per size when there are few sizes; otherwise the points in one colour
        boolean bySize = sizes.length <= SIZES.length;
        for (int i = 0; bySize && i < sizes.length; i++) {
            double n = sizes[i];
            var mine = fitted.stream().filter(p -> p.params() == n).toList();
            var color = SIZES[i];
            double lo = mine.stream().mapToDouble(ScalingPoint::flops).min().orElseThrow() / 1.5;
            double hi = mine.stream().mapToDouble(ScalingPoint::flops).max().orElseThrow() * 1.5;
            line(chart, String.format(java.util.Locale.ROOT, "N = %.3g", n), lo, hi, c -> law.loss(n, c / (ScalingLaw.FLOPS_PER_PARAM_TOKEN * n)), color, 1f, false);
            scatter(chart, String.format(java.util.Locale.ROOT, "runs, N = %.3g", n), mine, color, SeriesMarkers.CIRCLE);
        }
        if (!bySize) scatter(chart, "runs", fitted, Color.DARK_GRAY, SeriesMarkers.CIRCLE);
        if (law.alpha() > 0 && law.beta() > 0)
            line(chart, "compute-optimal frontier", cMin / 2, cMax * 2, c -> law.optimal(c).loss(), FRONTIER, 2.5f, true);
        if (!heldOut.isEmpty()) {
            scatter(chart, "held out (actual)", heldOut, HELD_OUT, SeriesMarkers.DIAMOND);
            var predicted = heldOut.stream().map(p -> new ScalingPoint(p.params(), p.tokens(), law.loss(p.params(), p.tokens()), p.flops(), null)).toList();
            scatter(chart, "held out (predicted)", predicted, HELD_OUT, SeriesMarkers.CROSS);
        }
        return chart;
    }

    private static void line(XYChart chart, String name, double lo, double hi, java.util.function.DoubleUnaryOperator f,
                             Color color, float width, boolean dashed) {
        int n = 60;
        var x = new double[n];
        var y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * i / (n - 1));
            y[i] = f.applyAsDouble(x[i]);
        }
        var s = chart.addSeries(name, x, y);
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(color);
        s.setLineStyle(dashed ? new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[]{8, 5}, 0)
                : new BasicStroke(width));
        s.setShowInLegend(dashed);
    }

    private static void scatter(XYChart chart, String name, List<ScalingPoint> points, Color color,
                                org.knowm.xchart.style.markers.Marker marker) {
        if (points.isEmpty()) return;
        var s = chart.addSeries(name, points.stream().mapToDouble(ScalingPoint::flops).toArray(),
                points.stream().mapToDouble(ScalingPoint::loss).toArray());
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        s.setMarker(marker);
        s.setMarkerColor(color);
    }
}
