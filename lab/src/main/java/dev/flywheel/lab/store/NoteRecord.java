package dev.flywheel.lab.store;

import java.time.Instant;

/** A note in a study's journal, by a researcher or a person; {@code run} is the run it concerns, or null. */
public record NoteRecord(String study, int seq, String run, String author, String body, Instant recordedAt) {
}
