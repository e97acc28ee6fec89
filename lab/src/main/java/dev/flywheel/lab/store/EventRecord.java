package dev.flywheel.lab.store;

import dev.flywheel.lab.run.RunEvent;

import java.time.Instant;

/** A {@link RunEvent} as stored: its run, its order within the run (from 1) and when it was recorded. */
public record EventRecord(String run, int seq, RunEvent event, Instant recordedAt) {
}
