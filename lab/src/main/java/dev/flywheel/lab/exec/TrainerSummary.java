package dev.flywheel.lab.exec;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An external trainer's {@code summary.json}: the metrics of its final evaluation (either may be NaN when not
 * given), the test split's bits per byte when it was asked for, and its parameter count when it says.
 *
 * @param problem why the file is not a usable summary, or null when it is
 */
record TrainerSummary(double valLoss, double valBpb, double testBpb, long params, String problem) {

    boolean ok() {
        return problem == null;
    }

    /** Reads the summary in {@code runDir}; a missing, unreadable or metric-less file comes back with its problem. */
    static TrainerSummary read(Path runDir) {
        var file = runDir.resolve(TrainerLaunch.SUMMARY);
        if (!Files.isRegularFile(file)) return failed(TrainerLaunch.SUMMARY + " was not written");
        JsonNode j;
        try {
            j = TrainerLine.READER.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return failed(TrainerLaunch.SUMMARY + " is not JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (j == null || !j.isObject()) return failed(TrainerLaunch.SUMMARY + " is not a JSON object");
        double loss = TrainerLine.number(j, "val_loss"), bpb = TrainerLine.number(j, "val_bpb");
        long params = j.path("params").canConvertToLong() ? j.get("params").asLong() : 0;
        if (!j.has("val_loss") && !j.has("val_bpb"))
            return new TrainerSummary(loss, bpb, Double.NaN, params, TrainerLaunch.SUMMARY + " has neither \"val_bpb\" nor \"val_loss\"");
        if (!Double.isFinite(bpb) && !Double.isFinite(loss))
            return new TrainerSummary(loss, bpb, Double.NaN, params, TrainerLaunch.SUMMARY + " has no finite metric (val_bpb "
                    + j.get("val_bpb") + ", val_loss " + j.get("val_loss") + ")");
        return new TrainerSummary(loss, bpb, TrainerLine.number(j, "test_bpb"), params, null);
    }

    private static TrainerSummary failed(String problem) {
        return new TrainerSummary(Double.NaN, Double.NaN, Double.NaN, 0, problem);
    }
}
