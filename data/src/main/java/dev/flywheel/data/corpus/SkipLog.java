package dev.flywheel.data.corpus;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every input that did not become a document as it was, with the reason: skipped (binary, not JSON, excluded
 * by a quarantine list, ...) or repaired (invalid UTF-8 decoded as Windows-1252). Counts are complete; ids are
 * kept for the first {@link #MAX_IDS} entries so the list written next to the shards stays bounded. Nothing is
 * dropped without a line here: this is what the summary reports.
 */
public final class SkipLog {
    public static final int MAX_IDS = 100_000;
    private static final int EXAMPLES = 3;

    public record Entry(String id, String reason) {}

    /** Count and first examples of one reason. */
    public record Reason(String reason, long count, List<String> examples) {}

    private final Map<String, long[]> skipped = new LinkedHashMap<>();
    private final Map<String, long[]> repaired = new LinkedHashMap<>();
    private final Map<String, List<String>> examples = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();
    private long skippedBytes;

    public synchronized void skip(String id, String reason, long bytes) {
        skipped.computeIfAbsent(reason, r -> new long[1])[0]++;
        skippedBytes += bytes;
        note(id, reason);
    }

    public synchronized void repair(String id, String reason) {
        repaired.computeIfAbsent(reason, r -> new long[1])[0]++;
        note(id, reason);
    }

    private void note(String id, String reason) {
        var ex = examples.computeIfAbsent(reason, r -> new ArrayList<>());
        if (ex.size() < EXAMPLES) ex.add(id);
        if (entries.size() < MAX_IDS) entries.add(new Entry(id, reason));
    }

    public synchronized long skippedCount() {
        return skipped.values().stream().mapToLong(c -> c[0]).sum();
    }

    public synchronized long repairedCount() {
        return repaired.values().stream().mapToLong(c -> c[0]).sum();
    }

    public synchronized long skippedBytes() {
        return skippedBytes;
    }

    public synchronized List<Reason> skipReasons() {
        return reasons(skipped);
    }

    public synchronized List<Reason> repairReasons() {
        return reasons(repaired);
    }

    private List<Reason> reasons(Map<String, long[]> counts) {
        var out = new ArrayList<Reason>();
        counts.forEach((r, c) -> out.add(new Reason(r, c[0], List.copyOf(examples.getOrDefault(r, List.of())))));
        return out;
    }

    /** The recorded ids (at most {@link #MAX_IDS}), in the order they were met. */
    public synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }
}
