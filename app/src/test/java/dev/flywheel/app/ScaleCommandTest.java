package dev.flywheel.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** scale fit, plan and compare as scripts call them: the JSON keys, the three files, a plan read from a fit. */
class ScaleCommandTest {

    @Test
    void fitThenPlanThenCompareFollowTheJsonContract(@TempDir Path dir) throws Exception {
        // 4 sizes × 4 token counts on L = 1.7 + 400/N^0.34 + 1500/D^0.3
        var csv = new StringBuilder("label,params,tokens,loss\n");
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < 4; k++) {
                double n = 1e6 * Math.pow(4, i), d = 2e7 * Math.pow(4, k);
                csv.append(String.format(java.util.Locale.ROOT, "r%d%d,%.0f,%.0f,%.6f%n", i, k, n, d,
                        1.7 + 400 / Math.pow(n, 0.34) + 1500 / Math.pow(d, 0.3)));
            }
        Files.writeString(dir.resolve("runs.csv"), csv);
        var fit = CliTest.run("scale", "fit", "--points", dir.resolve("runs.csv").toString(), "--bootstrap", "10", "--json");
        assertThat(fit.code()).as(fit.err()).isZero();
        var j = fit.json();
        for (var key : new String[]{"E", "A", "B", "alpha", "beta", "intervals", "points", "residual_rms", "fit"})
            assertThat(j.has(key)).as("scale fit --json has " + key).isTrue();
        assertThat(j.get("alpha").asDouble()).isCloseTo(0.34, within(0.005));
        assertThat(j.get("intervals").get("beta")).hasSize(2);
        assertThat(j.get("points")).hasSize(16);
        for (var ext : new String[]{"json", "png", "md"}) assertThat(dir.resolve("runs.fit." + ext)).exists();

        var plan = CliTest.run("scale", "plan", "--fit", dir.resolve("runs.fit.json").toString(), "--compute", "1e20", "--json");
        assertThat(plan.code()).as(plan.err()).isZero();
        var p = plan.json();
        for (var key : new String[]{"params", "tokens", "predicted_loss", "predicted_loss_interval", "shape"})
            assertThat(p.has(key)).as("scale plan --json has " + key).isTrue();
        assertThat(6 * p.get("params").asDouble() * p.get("tokens").asDouble()).isCloseTo(1e20, within(1e12));
        assertThat(p.get("shape").get("layers").asInt()).isPositive();
        assertThat(plan.err()).contains("nearest engine shape"); // with --json the words go to stderr

        var cmp = CliTest.run("scale", "compare", "--baseline", dir.resolve("runs.fit.json").toString(), "--change",
                dir.resolve("runs.fit.json").toString(), "--compute", "1e18", "--json");
        assertThat(cmp.code()).as(cmp.err()).isZero();
        assertThat(cmp.json().get("verdict").asText()).startsWith("no difference");
        assertThat(cmp.json().get("predictions")).hasSize(3);
    }
}
