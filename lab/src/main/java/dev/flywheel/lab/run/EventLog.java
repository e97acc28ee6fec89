package dev.flywheel.lab.run;

import dev.flywheel.lab.Json;
import dev.flywheel.lab.LabException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A run's event log as read back: its events, and how many of its lines could not be read. The log is appended one
 * JSON line at a time, so a kill can tear only the last line — that one is skipped without a word. Anything else
 * that cannot be read is damage a reader must report: a log of nothing but damage is not "a run without events".
 *
 * @param events     the events before the first unreadable line
 * @param lines      the log's non-blank lines
 * @param unreadable lines from the first unreadable one to the end (0 for a clean log, 1 for a torn last line)
 */
public record EventLog(List<RunEvent> events, int lines, int unreadable) {

    /** Reads {@code file}; a missing file is an empty log. */
    public static EventLog read(Path file) {
        if (!Files.isRegularFile(file)) return new EventLog(List.of(), 0, 0);
        List<String> all;
        try {
            all = Files.readAllLines(file);
        } catch (IOException e) {
            throw new LabException("the event log " + file + " cannot be read (" + e.getMessage()
                    + "); check its permissions, or that it is text");
        }
        var text = all.stream().filter(l -> !l.isBlank()).toList();
        var events = new ArrayList<RunEvent>();
        for (String line : text) {
            try {
                events.add(Json.MAPPER.readValue(line, RunEvent.class));
            } catch (IOException | IllegalArgumentException unreadable) {
                break; // only the last line can be torn; what follows an unreadable line is not trusted
            }
        }
        return new EventLog(List.copyOf(events), text.size(), text.size() - events.size());
    }

    /** Whether the log has lines but not one readable event: not an empty run, a damaged log. */
    public boolean allDamage() {
        return lines > 0 && events.isEmpty();
    }

    /** Unreadable lines beyond the one torn line a kill can leave: events lost to damage, worth a warning. */
    public int lostLines() {
        return Math.max(0, unreadable - 1);
    }
}
