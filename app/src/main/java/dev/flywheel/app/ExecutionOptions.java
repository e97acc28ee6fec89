package dev.flywheel.app;

import dev.flywheel.lab.exec.ChildJvmExecutor;
import dev.flywheel.lab.exec.Executor;
import dev.flywheel.lab.exec.ExternalExecutor;
import dev.flywheel.lab.exec.InProcessExecutor;
import dev.flywheel.lab.store.Store;
import picocli.CommandLine.Option;

/** How a study's runs execute, for the commands that run them ({@code research}, {@code replicate}). */
final class ExecutionOptions {

    @Option(names = "--concurrency", converter = Numbers.PositiveInt.class, defaultValue = "1", paramLabel = "N", description = "Runs at once (default: ${DEFAULT-VALUE}).")
    int concurrency;
    @Option(names = "--threads", converter = Numbers.PositiveInt.class, paramLabel = "N", description = "Engine threads per run (default: processors / concurrency).")
    Integer threads;
    @Option(names = "--executor", defaultValue = "child", paramLabel = "child|in-process", description = "Run each run in a JVM of its own (default) or in this one.")
    String executor;

    /** Engine threads per run (both flags are at least 1: {@link Numbers} refuses less while parsing). */
    int threadsPerRun() {
        return threads != null ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() / concurrency);
    }

    /** Refuses an unknown {@code --executor} before anything is opened or written. */
    void check() {
        if (!executor.equals("child") && !executor.equals("in-process"))
            throw new IllegalArgumentException("--executor must be child or in-process, not " + executor);
    }

    /** The executor {@code --executor} names; an in-process one records to {@code store}. */
    Executor executor(Store store) {
        Executor engine = switch (executor) {
            case "child" -> new ChildJvmExecutor();
            case "in-process" -> new InProcessExecutor(store);
            default -> throw new IllegalArgumentException("--executor must be child or in-process, not " + executor);
        };
        return new ExternalExecutor(engine, store); // recipes with a trainer.command run their own trainer
    }
}
