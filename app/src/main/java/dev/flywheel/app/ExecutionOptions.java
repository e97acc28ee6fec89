package dev.flywheel.app;

import dev.flywheel.lab.exec.ChildJvmExecutor;
import dev.flywheel.lab.exec.Executor;
import dev.flywheel.lab.exec.InProcessExecutor;
import dev.flywheel.lab.store.Store;
import picocli.CommandLine.Option;

/** How a study's runs execute, for the commands that run them ({@code research}, {@code replicate}). */
final class ExecutionOptions {

    @Option(names = "--concurrency", defaultValue = "1", paramLabel = "N", description = "Runs at once (default: ${DEFAULT-VALUE}).")
    int concurrency;
    @Option(names = "--threads", paramLabel = "N", description = "Engine threads per run (default: processors / concurrency).")
    Integer threads;
    @Option(names = "--executor", defaultValue = "child", paramLabel = "child|in-process", description = "Run each run in a JVM of its own (default) or in this one.")
    String executor;

    /** Engine threads per run; refuses a concurrency or thread count below 1 in one sentence. */
    int threadsPerRun() {
        if (concurrency < 1) throw new IllegalArgumentException("--concurrency must be at least 1");
        int perRun = threads != null ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() / concurrency);
        if (perRun < 1) throw new IllegalArgumentException("--threads must be at least 1");
        return perRun;
    }

    /** The executor {@code --executor} names; an in-process one records to {@code store}. */
    Executor executor(Store store) {
        return switch (executor) {
            case "child" -> new ChildJvmExecutor();
            case "in-process" -> new InProcessExecutor(store);
            default -> throw new IllegalArgumentException("--executor must be child or in-process, not " + executor);
        };
    }
}
