package dev.flywheel.lab.run;

import java.nio.file.Path;
import java.util.List;

/**
 * What a run produced. Metrics are NaN when the run did not get that far (a crash before evaluation).
 *
 * @param valLoss      mean validation loss (nats per token) at the end
 * @param valBpb       validation bits per byte at the end: the study metric
 * @param testBpb      test-split bits per byte, NaN unless the spec asked for it
 * @param trainLoss    mean training loss over the last few steps
 * @param curve        (progress, train loss) points, downsampled, for the researcher and the journal
 * @param events       what the guard saw and did
 */
public record RunResult(String runId, RunStatus status, double valLoss, double valBpb, double testBpb,
                        double trainLoss, long steps, long tokens, double trainSeconds, double wallSeconds, long params,
                        double tokensPerSecond, Path checkpoint, String error, List<CurvePoint> curve,
                        List<RunEvent> events) {

    /** One point of a learning curve. */
    public record CurvePoint(long step, double progress, double trainLoss, double lr, double gradNorm) {}

    public boolean ok() {
        return status.evaluated();
    }
}
