package dev.flywheel.engine;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** For tests that run a process and watch what it prints (this class ships in the engine's test-jar). */
public final class ProcessLines {

    private ProcessLines() {
    }

    /** Copies the stream's lines into {@code lines} as they come, on a daemon thread, until the process is gone. */
    public static void pump(InputStream in, List<String> lines) {
        Thread.ofPlatform().daemon().start(() -> {
            try (var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) lines.add(line);
            } catch (IOException ignored) {
                // the process is gone
            }
        });
    }
}
