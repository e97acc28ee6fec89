package dev.flywheel.lab.store;

/** One value of one named metric (loss, lr, grad_norm, val_bpb, ...) at one optimizer step of a run. A NaN or infinite value reads back as NaN. */
public record MetricPoint(String run, String name, long step, double value) {
}
