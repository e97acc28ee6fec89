package dev.flywheel.lab.store;

import java.time.Instant;

/** An {@link Event} as stored: its run, its order within the run (from 1) and when it was recorded. */
public record EventRecord(String run, int seq, Event event, Instant recordedAt) {
}
