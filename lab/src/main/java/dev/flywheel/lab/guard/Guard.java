package dev.flywheel.lab.guard;

import dev.flywheel.engine.Trainer;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.EventAction;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.RunEvent;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Watches every step of a run and, by policy, records or remediates what it sees (docs/guard.md):
 *
 * <ul>
 * <li>non-finite loss or gradients — never let them into the weights;</li>
 * <li>loss spikes — a robust z-score against a moving mean and mean absolute deviation, or a ratio against the
 * recent maximum. Detection comes before the update, and the batch is replayed on an earlier snapshot: when
 * the batch itself is at fault (it spikes there too) its update is simply dropped; when the weights are (the
 * optimizer state drifted into the spike), the run rolls back PaLM's way to the last good in-memory snapshot
 * and skips the batches that led into the spike, and when spikes recur soon after a roll-back it also cuts
 * the learning rate;</li>
 * <li>gradient-norm spikes — a z-score against the moving mean and deviation of the norm — clipped to the
 * threshold as ZClip does;</li>
 * <li>divergence — the smoothed loss back above its initial value — rolled back with a learning-rate cut;</li>
 * <li>early signs of small-scale instabilities (Wortsman et al. 2023): attention-logit growth and output-logit
 * drift, reported.</li>
 * </ul>
 * When roll-backs keep failing the run is aborted as diverged. Every detection is an event with the step, the
 * rule, the measured values and the action, and spikes carry forensics: the documents that contributed most to
 * the spike and whether it came from the data or from the optimizer state.
 */
public final class Guard implements Trainer.Hooks {

    private static final int RECENT = 100;
    private static final int LEVEL = 9;
    private static final int TOP_DOCUMENTS = 5;
    /**
     * Batches over which remediations are counted: more than max_rollbacks roll-backs, or skips of more than a
     * quarter of the batches, abort the run — a few bad batches get skipped, broken data or a diverging run does not.
     */
    private static final int WINDOW = 200;

    private final Recipe.Guard policy;
    private final boolean remediate;
    private final Consumer<RunEvent> events;
    private final Forensics forensics;
    private final List<RunEvent> recorded = new ArrayList<>();

    private long seen;
    private double lossMean = Double.NaN, lossDev, gradMean = Double.NaN, gradVar;
    private double lastLoss = Double.NaN;
    private double initialLoss = Double.NaN, smoothLoss = Double.NaN;
    private int initialCount;
    private final ArrayDeque<Double> recent = new ArrayDeque<>();
    private final ArrayDeque<Trainer.Snapshot> snapshots = new ArrayDeque<>();
    private int rollbacks;
    /** Data positions of recent roll-backs and of recently skipped batches, for the abort rule. */
    private final ArrayDeque<Long> rollbackSteps = new ArrayDeque<>(), skipSteps = new ArrayDeque<>();
    private long lastRollbackStep = Long.MIN_VALUE / 2;
    private long lastAnomalyStep = Long.MIN_VALUE / 2;
    private double attnWarnedAt, driftWarnedAt;
    private boolean aborted;

    public Guard(Recipe.Guard policy, Trainer trainer, DocumentLocator locator, Consumer<RunEvent> events) {
        this.policy = policy;
        this.remediate = policy.policy() == Recipe.Guard.Policy.REMEDIATE;
        this.events = events;
        this.forensics = new Forensics(trainer.model(), locator);
    }

    /** True once remediation gave up: the run should end as diverged. */
    public boolean aborted() {
        return aborted;
    }

    public List<RunEvent> events() {
        return List.copyOf(recorded);
    }

    public int rollbacks() {
        return rollbacks;
    }

    @Override
    public Trainer.Verdict afterBackward(Trainer trainer, Trainer.StepStats s) {
        if (policy.policy() == Recipe.Guard.Policy.OFF || aborted) return Trainer.Verdict.UPDATE;
        long step = s.step();
        double loss = s.loss(), gn = s.gradNorm();
        boolean warm = seen >= policy.warmup();

        if (!Double.isFinite(loss) || !Double.isFinite(gn)) {
            var m = measured("loss", loss, "grad_norm", gn);
            return spike(trainer, s, EventKind.NAN, "non-finite", m);
        }
        if (warm) {
            double scale = robustScale(), level = level();
            double z = (loss - level) / scale;
            double recentMax = recent.stream().mapToDouble(Double::doubleValue).max().orElse(Double.POSITIVE_INFINITY);
            boolean zRule = z > policy.lossZ(), ratioRule = loss > policy.lossRatio() * recentMax;
            if (zRule || ratioRule) {
                var m = measured("loss", loss, "level", level, "deviation", scale, "z", z, "recent_max", recentMax,
                        "ratio", loss / recentMax);
                return spike(trainer, s, EventKind.SPIKE, zRule ? "loss-zscore" : "loss-ratio", m);
            }
            if (Double.isFinite(initialLoss) && seen > 2L * policy.warmup() && smoothLoss > initialLoss) {
                var m = measured("smoothed_loss", smoothLoss, "initial_loss", initialLoss);
                lastRollbackStep = Long.MIN_VALUE / 2; // divergence always cuts the learning rate
                return spike(trainer, s, EventKind.DIVERGENCE, "loss-above-initial", m);
            }
            double gStd = Math.sqrt(Math.max(gradVar, 1e-12));
            double zg = (gn - gradMean) / gStd;
            if (zg > policy.gradZ()) {
                double limit = gradMean + policy.gradZ() * gStd;
                if (remediate) trainer.clipNextUpdate(limit);
                record(new RunEvent(step, EventKind.GRAD_SPIKE, "grad-zscore", measured("grad_norm", gn, "mean", gradMean,
                        "std", gStd, "z", zg, "clipped_to", limit), remediate ? EventAction.CLIP : EventAction.NONE, null));
                gn = limit; // the statistics see the clipped norm, as in ZClip
            }
        }
        warnings(s);
        update(loss, gn);
        return Trainer.Verdict.UPDATE;
    }

    @Override
    public void afterStep(Trainer trainer, Trainer.StepStats s) {
        if (!remediate || aborted || !s.updated()) return;
        long step = trainer.currentStep();
        // snapshot only healthy states: a few quiet steps after the last anomaly
        if (step % policy.snapshotEvery() == 0 && step - lastAnomalyStep > 3) {
            if (snapshots.size() >= 2) snapshots.removeFirst();
            snapshots.addLast(trainer.snapshot());
        }
    }

    private Trainer.Verdict spike(Trainer trainer, Trainer.StepStats s, EventKind kind, String rule, Map<String, Object> m) {
        long step = s.step();
        lastAnomalyStep = step;
        var snapshot = snapshots.peekLast();
        var report = forensics.explain(trainer, s.dataStep(), snapshot, level(), robustScale(), policy.lossZ(), TOP_DOCUMENTS);
        m.put("replay_loss", Forensics.round(report.replayLoss()));
        if (snapshot != null) {
            m.put("snapshot_step", snapshot.step());
            m.put("snapshot_loss", Forensics.round(report.snapshotLoss()));
        }
        m.put("cause", report.cause());
        m.put("top_documents", report.suspects().stream().map(Forensics.Suspect::toMap).toList());
        if (!remediate) {
            record(new RunEvent(step, kind, rule, m, EventAction.NONE, describe(kind, report)));
            if (Double.isFinite(s.loss()) && Double.isFinite(s.gradNorm())) update(s.loss(), s.gradNorm());
            return Trainer.Verdict.UPDATE;
        }
        boolean weightsAtFault = switch (report.cause()) {
            case "data", "not-reproduced" -> false; // this batch (or a transient fault) is the problem, not the weights
            default -> true;
        };
        long now = s.dataStep();
        var counted = weightsAtFault ? rollbackSteps : skipSteps;
        counted.addLast(now);
        for (var q : java.util.List.of(rollbackSteps, skipSteps)) {
            while (!q.isEmpty() && q.peekFirst() < now - WINDOW) q.removeFirst();
        }
        if (rollbackSteps.size() > policy.maxRollbacks() || skipSteps.size() > WINDOW / 4) {
            aborted = true;
            record(new RunEvent(step, kind, rule, m, EventAction.ABORT, describe(kind, report) + "; " + rollbackSteps.size()
                    + " roll-backs and " + skipSteps.size() + " skipped batches in the last " + WINDOW
                    + " batches did not help, the run is aborted as diverged"));
            return Trainer.Verdict.SKIP;
        }
        EventAction action;
        if (!weightsAtFault || snapshot == null) {
            // detection comes before the update, so dropping this batch's update keeps the weights clean
            action = EventAction.SKIP;
            trainer.setDataStep(s.dataStep() + 1);
        } else {
            boolean recurring = step - lastRollbackStep <= 2L * policy.snapshotEvery();
            trainer.restore(snapshot);
            // skip every batch from the snapshot's data position through the one that spiked (PaLM)
            trainer.setDataStep(s.dataStep() + 1);
            rollbacks++;
            lastRollbackStep = snapshot.step();
            action = EventAction.ROLLBACK;
            m.put("skipped_batches", s.dataStep() + 1 - snapshot.dataStep());
            if (recurring) {
                trainer.setLrScale(trainer.lrScale() * policy.lrCut());
                action = EventAction.ROLLBACK_LR_CUT;
                m.put("lr_scale", trainer.lrScale());
            }
        }
        record(new RunEvent(step, kind, rule, m, action, describe(kind, report)));
        return Trainer.Verdict.SKIP;
    }

    private static String describe(EventKind kind, Forensics.Report r) {
        String top = r.suspects().isEmpty() ? "" : "; top document " + r.suspects().getFirst().documentId();
        return switch (r.cause()) {
            case "data" -> kind + " caused by the data: the batch also spikes on the earlier snapshot" + top;
            case "optimizer" -> kind + " caused by the optimizer state: the batch is normal on the earlier snapshot" + top;
            case "not-reproduced" -> kind + " not reproduced on replay: a transient numerical fault";
            case "numerical" -> kind + " reproduced on replay: the weights or the batch give non-finite values";
            default -> kind + top;
        };
    }

    private void warnings(Trainer.StepStats s) {
        float maxLogit = Float.NEGATIVE_INFINITY;
        int layer = -1;
        for (int l = 0; l < s.maxAttnLogits().length; l++) {
            if (s.maxAttnLogits()[l] > maxLogit) {
                maxLogit = s.maxAttnLogits()[l];
                layer = l;
            }
        }
        if (maxLogit > policy.attnLogitMax() && maxLogit > 2 * attnWarnedAt) {
            attnWarnedAt = maxLogit;
            record(new RunEvent(s.step(), EventKind.ATTN_LOGIT_GROWTH, "attn-logit-max", measured("max_attention_logit", maxLogit,
                    "layer", layer, "threshold", policy.attnLogitMax()), EventAction.WARN,
                    "attention logits are growing (layer " + layer + "): a sign of the attention-entropy collapse; QK-norm prevents it"));
        }
        double drift = Math.abs(s.meanLogSumExp());
        if (drift > policy.logitDriftMax() && drift > 2 * driftWarnedAt) {
            driftWarnedAt = drift;
            record(new RunEvent(s.step(), EventKind.LOGIT_DRIFT, "log-partition", measured("mean_log_z", s.meanLogSumExp(),
                    "threshold", policy.logitDriftMax()), EventAction.WARN,
                    "output logits are drifting (|log Z| large): z-loss keeps them anchored"));
        }
    }

    private void update(double loss, double gn) {
        double a = policy.ema();
        seen++;
        if (Double.isNaN(lossMean)) {
            lossMean = loss;
            lossDev = 0;
            gradMean = gn;
            gradVar = 0;
        } else {
            // the deviation is of step-to-step changes, so the falling trend of a loss curve does not inflate it
            lossDev = a * lossDev + (1 - a) * Math.abs(loss - lastLoss);
            lossMean = a * lossMean + (1 - a) * loss;
            double d = gn - gradMean;
            gradMean = a * gradMean + (1 - a) * gn;
            gradVar = a * gradVar + (1 - a) * d * d;
        }
        lastLoss = loss;
        smoothLoss = Double.isNaN(smoothLoss) ? loss : 0.9 * smoothLoss + 0.1 * loss;
        if (initialCount < 10) {
            initialLoss = initialCount == 0 ? loss : (initialLoss * initialCount + loss) / (initialCount + 1);
            initialCount++;
        }
        recent.addLast(loss);
        if (recent.size() > RECENT) recent.removeFirst();
    }

    /**
     * The loss's typical step-to-step noise as a standard deviation: the mean absolute difference of successive
     * losses is 2/√π·σ for independent normal noise, so σ ≈ 0.886·E|Δ|. Floored so a flat loss is not all spikes.
     */
    private double robustScale() {
        return Math.max(0.8862 * lossDev, 0.005 * Math.abs(lossMean) + 1e-6);
    }

    /** The loss's current level: the median of the last few losses, which follows a falling curve without lag. */
    private double level() {
        int n = Math.min(LEVEL, recent.size());
        double[] last = new double[n];
        var it = recent.descendingIterator();
        for (int i = 0; i < n; i++) last[i] = it.next();
        java.util.Arrays.sort(last);
        return n == 0 ? lossMean : last[n / 2];
    }

    private void record(RunEvent e) {
        recorded.add(e);
        events.accept(e);
    }

    static Map<String, Object> measured(Object... kv) {
        var m = new LinkedHashMap<String, Object>();
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            m.put((String) kv[i], v instanceof Double d ? Forensics.round(d) : v instanceof Float f ? Forensics.round(f) : v);
        }
        return m;
    }
}
