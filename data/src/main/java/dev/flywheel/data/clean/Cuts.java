package dev.flywheel.data.clean;

import java.util.ArrayList;
import java.util.List;

/** Character ranges to cut out of a text, merged, and the text that remains (kept pieces joined by a newline). */
final class Cuts {
    private final List<int[]> ranges = new ArrayList<>();

    void add(int from, int to) {
        if (to > from) ranges.add(new int[] {from, to});
    }

    boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** The merged ranges, sorted. */
    List<int[]> merged() {
        var sorted = new ArrayList<>(ranges);
        sorted.sort((a, b) -> a[0] != b[0] ? Integer.compare(a[0], b[0]) : Integer.compare(a[1], b[1]));
        var out = new ArrayList<int[]>();
        for (int[] r : sorted) {
            if (!out.isEmpty() && r[0] <= out.getLast()[1]) out.getLast()[1] = Math.max(out.getLast()[1], r[1]);
            else out.add(new int[] {r[0], r[1]});
        }
        return out;
    }

    /** The pieces of {@code text} between the cuts, blank ones left out. */
    List<String> pieces(String text) {
        var out = new ArrayList<String>();
        int at = 0;
        for (int[] r : merged()) {
            if (r[0] > at) out.add(text.substring(at, r[0]));
            at = Math.max(at, r[1]);
        }
        if (at < text.length()) out.add(text.substring(at));
        out.removeIf(String::isBlank);
        return out;
    }

    String apply(String text) {
        return String.join("\n", pieces(text));
    }
}
