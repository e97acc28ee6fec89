package dev.flywheel.lab.exec;

import dev.flywheel.engine.Trainer;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunListener;
import dev.flywheel.lab.store.MetricPoint;
import dev.flywheel.lab.store.Store;

import java.util.ArrayList;
import java.util.List;

/**
 * Writes a run's metric points and events to the store as they come. Points are buffered and flushed in one
 * commit about once a second (and at every evaluation and event), so a step costs no transaction of its own and a
 * killed run loses at most the last second; events are written at once. A store that is briefly unavailable
 * does not end the run: the points stay buffered for the next flush and the failure is logged.
 */
final class StoreRecorder implements RunListener {

    private final Store store;
    private final String runId;
    private final double flushEverySeconds;
    private final List<MetricPoint> buffer = new ArrayList<>();
    private long lastFlush = System.nanoTime();

    StoreRecorder(Store store, String runId, double flushEverySeconds) {
        this.store = store;
        this.runId = runId;
        this.flushEverySeconds = flushEverySeconds;
    }

    @Override
    public void onStep(Trainer.StepStats s) {
        buffer.add(new MetricPoint(runId, "loss", s.step(), s.loss()));
        buffer.add(new MetricPoint(runId, "lr", s.step(), s.lr()));
        buffer.add(new MetricPoint(runId, "grad_norm", s.step(), s.gradNorm()));
        buffer.add(new MetricPoint(runId, "progress", s.step(), s.progress()));
        if ((System.nanoTime() - lastFlush) / 1e9 >= flushEverySeconds) flush();
    }

    @Override
    public void onEval(Trainer.EvalResult e) {
        buffer.add(new MetricPoint(runId, "val_loss", e.step(), e.loss()));
        buffer.add(new MetricPoint(runId, "val_bpb", e.step(), e.bitsPerByte()));
        flush();
    }

    @Override
    public void onEvent(RunEvent e) {
        flush();
        try {
            store.recordEvent(runId, e);
        } catch (RuntimeException ex) {
            System.err.println("flywheel: could not record an event of run " + runId + ": " + ex.getMessage());
        }
    }

    void flush() {
        lastFlush = System.nanoTime();
        if (buffer.isEmpty()) return;
        try {
            store.recordMetricPoints(List.copyOf(buffer));
            buffer.clear();
        } catch (RuntimeException ex) {
            System.err.println("flywheel: could not record metrics of run " + runId + " (will retry): " + ex.getMessage());
        }
    }
}
