package dev.flywheel.app;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The {@code flywheel} command line in a process of its own, for the drills that kill or interrupt it. */
final class CliProcess {

    final Process process;
    final List<String> out = new CopyOnWriteArrayList<>();
    final List<String> err = new CopyOnWriteArrayList<>();

    CliProcess(Map<String, String> env, String... args) throws IOException {
        var java = ProcessHandle.current().info().command().orElseThrow();
        var command = Stream.concat(Stream.of(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()), Stream.of(args)).toList();
        var pb = new ProcessBuilder(command);
        pb.environment().remove("FLYWHEEL_PAUSE_AT");
        pb.environment().putAll(env);
        process = pb.start();
        process.getOutputStream().close();
        dev.flywheel.engine.ProcessLines.pump(process.getInputStream(), out);
        dev.flywheel.engine.ProcessLines.pump(process.getErrorStream(), err);
    }


    /** kill -9 (or, with {@code signal}, {@code kill -SIGNAL}) of the process, and its exit status once it is gone. */
    int signal(String signal) throws Exception {
        var children = process.descendants().toList();
        if (signal == null) process.destroyForcibly();
        else new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).inheritIO().start().waitFor();
        if (!process.waitFor(180, TimeUnit.SECONDS)) throw new AssertionError("the process outlived kill -" + signal);
        for (var c : children) c.onExit().orTimeout(30, TimeUnit.SECONDS).join();
        return process.exitValue();
    }

    /** Waits for the process to end on its own; its exit status. */
    int await(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("still running after " + seconds + " s:\n" + String.join("\n", tail()));
        }
        Thread.sleep(50); // the pumps drain the last lines
        return process.exitValue();
    }

    List<String> tail() {
        var all = Stream.concat(out.stream(), err.stream()).toList();
        return all.subList(Math.max(0, all.size() - 30), all.size());
    }
}
