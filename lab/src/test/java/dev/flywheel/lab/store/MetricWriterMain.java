package dev.flywheel.lab.store;

import java.nio.file.Path;
import java.util.Map;

/**
 * A child process for {@link StoreTest}: writes one step of metrics after another and prints each step once its
 * commit returned, until it is killed.
 */
public final class MetricWriterMain {
    public static void main(String[] args) {
        var store = Store.open(Path.of(args[0]));
        var runId = args[1];
        for (long step = 0; ; step++) {
            store.recordMetrics(runId, step, Map.of("loss", 10.0 / (step + 1), "lr", 1e-3));
            System.out.println(step);
            System.out.flush();
        }
    }
}
