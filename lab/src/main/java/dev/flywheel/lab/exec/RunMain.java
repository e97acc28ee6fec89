package dev.flywheel.lab.exec;

import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.Store;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The main class of a run's child JVM ({@link ChildJvmExecutor}): reads {@code job.json}, runs it with metric
 * points and events going to the store, tells the parent how it goes on stdout ({@link Protocol}) and leaves
 * {@code result.json}. Anything else printed goes to stderr, which the parent keeps in the run's log.
 *
 * <p>It ends itself when its parent dies: the parent holds the child's stdin open, so end-of-file on stdin means
 * the study process is gone (killed with kill -9, say) and nobody will read the result. A resumed study restarts
 * the run from its last checkpoint.
 */
public final class RunMain {

    /** System property: the longest JIT warm-up before the run's clock starts, in seconds (see {@link JitWarmup}). */
    static final String WARMUP = "flywheel.warmup";

    private RunMain() {
    }

    public static void main(String[] args) {
        var protocol = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err); // stray prints must not corrupt the protocol
        if (args.length != 1) {
            System.err.println("usage: RunMain JOB.json");
            System.exit(2);
        }
        watchParent();
        RunJob job = RunJob.read(Path.of(args[0]));
        Store store = job.storeUrl() == null ? null : Store.open(job.storeUrl());
        double warmup = Double.parseDouble(System.getProperty(WARMUP, "0"));
        var result = JobRunner.run(job, store, new Protocol.Writer(protocol), warmup);
        protocol.flush();
        System.exit(result.status() == RunStatus.CRASHED ? 3 : 0);
    }

    private static void watchParent() {
        var watcher = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the parent never writes; reading only waits for end-of-file
                }
            } catch (IOException ignored) {
                // a broken pipe means the same as end-of-file
            }
            System.err.println("flywheel: the study process is gone; stopping this run");
            Runtime.getRuntime().halt(143);
        }, "parent-watch");
        watcher.setDaemon(true);
        watcher.start();
    }
}
