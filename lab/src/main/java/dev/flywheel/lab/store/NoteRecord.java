package dev.flywheel.lab.store;

import java.time.Instant;

/** A note in a study's journal, by a researcher or a person; {@code run} is the run it concerns, or null. */
public record NoteRecord(String study, int seq, String run, String author, String body, Instant recordedAt) {

    /** The authors of the lab's own notes (its ending, the scale check), whose Markdown tables are meant to render. */
    public static final String STUDY = "study", SCALE_CHECK = "scale-check";

    /** Whether the lab wrote the note; anything else (a researcher, an LLM, a person) is shown as plain text. */
    public boolean byLab() {
        return STUDY.equals(author) || SCALE_CHECK.equals(author);
    }
}
