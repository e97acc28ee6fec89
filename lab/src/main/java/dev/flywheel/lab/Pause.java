package dev.flywheel.lab;

import java.util.HashMap;
import java.util.Map;

/**
 * Named points where a process can be made to stop and wait, so a test can kill it with {@code kill -9} at an
 * exact moment — in the middle of writing the journal, between finishing a run and deciding on it — rather than
 * at a moment chosen by the clock. Off unless the environment variable {@value #ENV} names points, as
 * {@code name:n,name:n} (stop the n-th time {@code name} is reached). On reaching one, the process prints
 * {@code @flywheel-paused name n} on stderr and sleeps until it is killed — or, when {@value #UNTIL} names a file,
 * until that file exists, so that a test can let another process act in between and then go on.
 */
public final class Pause {

    public static final String ENV = "FLYWHEEL_PAUSE_AT", UNTIL = "FLYWHEEL_PAUSE_UNTIL";
    private static final Map<String, Integer> AT = parse(System.getenv(ENV));
    private static final Map<String, Integer> REACHED = new HashMap<>();

    private Pause() {
    }

    public static boolean enabled() {
        return !AT.isEmpty();
    }

    /** Stops here for good if this is the configured arrival at {@code name}; otherwise returns at once. */
    public static void at(String name) {
        if (AT.isEmpty()) return;
        Integer target = AT.get(name);
        if (target == null) return;
        int n;
        synchronized (REACHED) {
            n = REACHED.merge(name, 1, Integer::sum);
        }
        if (n != target) return;
        System.err.println("@flywheel-paused " + name + " " + n);
        System.err.flush();
        var until = System.getenv(UNTIL);
        while (until == null || !java.nio.file.Files.exists(java.nio.file.Path.of(until))) {
            try {
                Thread.sleep(until == null ? 60_000 : 20);
            } catch (InterruptedException e) {
                // only a kill, or the file, ends the wait
            }
        }
    }

    private static Map<String, Integer> parse(String spec) {
        var map = new HashMap<String, Integer>();
        if (spec == null || spec.isBlank()) return map;
        for (var part : spec.split(",")) {
            var kv = part.strip().split(":");
            map.put(kv[0], kv.length > 1 ? Integer.parseInt(kv[1]) : 1);
        }
        return Map.copyOf(map);
    }
}
