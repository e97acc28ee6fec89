package dev.flywheel.lab.scaling;

import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.run.RunStatus;

import java.util.List;

/**
 * A study's runs as scaling points: every run that finished with a metric, its parameters counted from its recipe
 * (every parameter, embeddings included), its tokens as trained, its metric as the loss. A study with ladder runs
 * gives only those: its other runs (a search's experiments) vary more than size and data.
 */
public final class RunPoints {

    private RunPoints() {
    }

    public static List<ScalingPoint> of(List<RunRecord> runs) {
        boolean ladder = runs.stream().anyMatch(r -> r.role() == Role.LADDER);
        return runs.stream()
                .filter(r -> !ladder || r.role() == Role.LADDER)
                .filter(r -> r.status() == RunStatus.FINISHED && r.metric() != null && Double.isFinite(r.metric())
                        && r.metric() > 0 && r.tokens() != null && r.tokens() > 0)
                .map(RunPoints::point).toList();
    }

    public static ScalingPoint point(RunRecord r) {
        return ScalingPoint.of(r.recipe().estimatedParameters(), r.tokens(), r.metric(), r.id());
    }
}
