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
import java.util.function.Consumer;

/**
 * Watches every step of a run and, by policy, records or remediates what it sees (docs/guard.md). The rules
 * are two small classes fed plain values — {@link Detector} (what is wrong with a step) and {@link Remedy} (what
 * to do about it) — and this class is the shell that connects them to the trainer:
 *
 * <ul>
 * <li>non-finite loss or gradients — never let them into the weights;</li>
 * <li>loss spikes — detection comes before the update, and the batch is replayed on an earlier snapshot
 * ({@link Forensics}): when the batch itself is at fault its update is simply dropped; when the weights are, the
 * run rolls back PaLM's way to the last good in-memory snapshot and skips the batches that led into the spike,
 * and when spikes recur soon after a roll-back it also cuts the learning rate;</li>
 * <li>gradient-norm spikes — clipped as ZClip does;</li>
 * <li>divergence — rolled back with a learning-rate cut;</li>
 * <li>early signs of small-scale instabilities (Wortsman et al. 2023): attention-logit growth and output-logit
 * drift, reported.</li>
 * </ul>
 * Replays are judged against the statistics of their weights' time (kept with each snapshot, restored with it);
 * skipping that does not bring the loss back escalates to a roll-back with a learning-rate cut, and only when
 * roll-backs keep failing is the run aborted as diverged. Every detection is an event with the step, the
 * rule, the measured values and the action, and spikes carry forensics: the documents that contributed most to
 * the spike and whether it came from the data or from the optimizer state.
 */
public final class Guard implements Trainer.Hooks {

    private static final int TOP_DOCUMENTS = 5;
    private static final int SNAPSHOTS = 2;

    private final Recipe.Guard policy;
    private final boolean remediate;
    private final Consumer<RunEvent> events;
    private final Forensics forensics;
    private final Detector detector;
    private final Remedy remedy;
    private final List<RunEvent> recorded = new ArrayList<>();
    private final ArrayDeque<Saved> snapshots = new ArrayDeque<>();

    /** A snapshot of the weights with the detector's statistics of the same moment. */
    private record Saved(Trainer.Snapshot weights, Detector.State stats) {}
    private boolean aborted;

    public Guard(Recipe.Guard policy, Trainer trainer, DocumentLocator locator, Consumer<RunEvent> events) {
        this.policy = policy;
        this.remediate = policy.policy() == Recipe.Guard.Policy.REMEDIATE;
        this.events = events;
        this.forensics = new Forensics(trainer.model(), locator);
        this.detector = new Detector(policy);
        this.remedy = new Remedy(policy);
    }

    /** True once remediation gave up: the run should end as diverged. */
    public boolean aborted() {
        return aborted;
    }

    public List<RunEvent> events() {
        return List.copyOf(recorded);
    }

    public int rollbacks() {
        return remedy.rollbacks();
    }

    @Override
    public Trainer.Verdict afterBackward(Trainer trainer, Trainer.StepStats s) {
        if (policy.policy() == Recipe.Guard.Policy.OFF || aborted) return Trainer.Verdict.UPDATE;
        for (var finding : detector.observe(StepSignals.of(s))) {
            switch (finding) {
                case Finding.Anomaly a -> {
                    return anomaly(trainer, s, a);
                }
                case Finding.GradSpike g -> {
                    if (remediate) trainer.clipNextUpdate(g.clipTo());
                    record(new RunEvent(s.step(), g.kind(), g.rule(), g.measured(),
                            remediate ? EventAction.CLIP : EventAction.NONE, null));
                }
                case Finding.Warning w -> record(new RunEvent(s.step(), w.kind(), w.rule(), w.measured(),
                        EventAction.WARN, w.message()));
            }
        }
        return Trainer.Verdict.UPDATE;
    }

    @Override
    public void afterStep(Trainer trainer, Trainer.StepStats s) {
        if (!remediate || aborted || !s.updated()) return;
        if (remedy.snapshotDue(trainer.currentStep())) {
            if (snapshots.size() >= SNAPSHOTS) snapshots.removeFirst();
            snapshots.addLast(new Saved(trainer.snapshot(), detector.state()));
        }
    }

    private Trainer.Verdict anomaly(Trainer trainer, Trainer.StepStats s, Finding.Anomaly a) {
        long step = s.step();
        var saved = snapshots.peekLast();
        var snapshot = saved == null ? null : saved.weights();
        double thenLevel = saved == null ? Double.NaN : saved.stats().level();
        double thenScale = saved == null ? Double.NaN : saved.stats().scale();
        var report = forensics.explain(trainer, s.dataStep(), snapshot, a.level(), a.scale(), thenLevel, thenScale,
                policy.lossZ(), TOP_DOCUMENTS);
        var m = new LinkedHashMap<>(a.measured());
        m.put("replay_loss", Forensics.round(report.replayLoss()));
        if (snapshot != null) {
            m.put("snapshot_step", snapshot.step());
            m.put("snapshot_loss", Forensics.round(report.snapshotLoss()));
            m.put("snapshot_level", Forensics.round(thenLevel));
            m.put("snapshot_deviation", Forensics.round(thenScale));
        }
        m.put("cause", report.cause().id());
        m.put("top_documents", report.suspects().stream().map(Forensics.Suspect::toMap).toList());
        if (!remediate) {
            remedy.observed(step);
            record(new RunEvent(step, a.kind(), a.rule(), m, EventAction.NONE, describe(a.kind(), report)));
            return Trainer.Verdict.UPDATE;
        }
        var action = remedy.decide(step, s.dataStep(), report.cause(), snapshot == null ? -1 : snapshot.step(),
                a.kind() == EventKind.DIVERGENCE);
        String message = describe(a.kind(), report);
        switch (action) {
            case ABORT -> {
                aborted = true;
                message += "; " + remedy.window() + " did not help, the run is aborted as diverged";
            }
            case ROLLBACK, ROLLBACK_LR_CUT -> {
                trainer.restore(snapshot);
                detector.restore(saved.stats()); // the statistics go back with the weights
                m.put("skipped_batches", s.dataStep() + 1 - snapshot.dataStep());
                if (action == EventAction.ROLLBACK_LR_CUT) {
                    trainer.setLrScale(trainer.lrScale() * policy.lrCut());
                    m.put("lr_scale", trainer.lrScale());
                }
            }
            default -> { } // skip: detection comes before the update, so dropping it keeps the weights clean
        }
        // past this batch: after a roll-back, every batch from the snapshot's data position through it (PaLM)
        if (action != EventAction.ABORT) trainer.setDataStep(s.dataStep() + 1);
        if (action.rolledBack() && !report.cause().weightsAtFault()) {
            message += "; skipping batches did not bring the loss back, so the run rolled back and cut the learning rate";
        }
        record(new RunEvent(step, a.kind(), a.rule(), m, action, message));
        return Trainer.Verdict.SKIP;
    }

    private static String describe(EventKind kind, Forensics.Report r) {
        String top = r.suspects().isEmpty() ? "" : "; top document " + r.suspects().getFirst().documentId();
        return switch (r.cause()) {
            case DATA -> kind + " caused by the data: the batch also spikes on the earlier snapshot" + top;
            case OPTIMIZER -> kind + " caused by the optimizer state: the batch is normal on the earlier snapshot" + top;
            case NOT_REPRODUCED -> kind + " not reproduced on replay: a transient numerical fault";
            case NUMERICAL -> kind + " reproduced on replay: the weights or the batch give non-finite values";
            case UNKNOWN -> kind + top;
        };
    }

    private void record(RunEvent e) {
        recorded.add(e);
        events.accept(e);
    }
}
