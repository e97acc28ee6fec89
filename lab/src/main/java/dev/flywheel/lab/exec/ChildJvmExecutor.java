package dev.flywheel.lab.exec;

import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.run.EventAction;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunResult;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs each job in a JVM of its own — the same java binary and classpath as this one, {@link RunMain} as the main
 * class — so that a run that crashes, runs out of memory or hangs cannot take the study with it. A run that is
 * still alive at its hard limit (the run budget plus slack and grace; see {@link Settings}) is killed and
 * recorded as crashed with a {@code killed} event. The child's stderr is kept in the run's {@code run.log}.
 */
public final class ChildJvmExecutor implements Executor {

    /**
     * @param javaOptions          extra JVM options for the child, e.g. {@code -Xmx2g}
     * @param graceSeconds         time on top of a seconds budget for start-up, evaluation and the checkpoint
     * @param slack                a seconds budget is multiplied by this before the grace is added (steps outside
     *                             the trainer's clock, such as metric flushes, are not charged to the budget)
     * @param countedLimitSeconds  the hard limit of runs budgeted in steps, tokens or FLOPs, whose time is unknown
     * @param warmupSeconds        the longest JIT warm-up of a child before its run's clock starts ({@link JitWarmup});
     *                             it comes on top of the limit
     */
    public record Settings(List<String> javaOptions, double graceSeconds, double slack, double countedLimitSeconds,
                           double warmupSeconds) {
        public Settings {
            javaOptions = List.copyOf(javaOptions);
        }

        public static Settings defaults() {
            return new Settings(List.of(), 120, 1.5, 4 * 3600, 30);
        }

        public Settings withJavaOptions(List<String> options) {
            return new Settings(options, graceSeconds, slack, countedLimitSeconds, warmupSeconds);
        }

        public Settings withLimits(double graceSeconds, double countedLimitSeconds) {
            return new Settings(javaOptions, graceSeconds, slack, countedLimitSeconds, warmupSeconds);
        }

        public Settings withWarmup(double seconds) {
            return new Settings(javaOptions, graceSeconds, slack, countedLimitSeconds, seconds);
        }

        /** How long a run may live before it is killed. */
        public double limitSeconds(RunBudget budget) {
            return warmupSeconds + (budget instanceof RunBudget.Seconds s ? s.seconds() * slack + graceSeconds : countedLimitSeconds);
        }
    }

    private final Settings settings;

    public ChildJvmExecutor(Settings settings) {
        this.settings = settings;
    }

    public ChildJvmExecutor() {
        this(Settings.defaults());
    }

    public Settings settings() {
        return settings;
    }

    /** The command that starts a run's JVM. */
    List<String> command(RunJob job) {
        String javaBin = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        var cmd = new ArrayList<String>();
        cmd.add(javaBin);
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-XX:+UseParallelGC");
        cmd.add("-Xmn64m"); // as the launcher: a run allocates little per step, a large young generation only costs RSS
        cmd.add("-Xss4m");
        cmd.add("-D" + RunMain.WARMUP + "=" + settings.warmupSeconds());
        cmd.addAll(settings.javaOptions());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(RunMain.class.getName());
        cmd.add(job.jobFile().toString());
        return cmd;
    }

    @Override
    public RunResult execute(RunJob job, RunWatcher watcher) {
        long t0 = System.nanoTime();
        JobRunner.deleteQuietly(job.resultFile());
        job.write();
        double limit = settings.limitSeconds(job.recipe().runBudget());
        Process process;
        try {
            process = new ProcessBuilder(command(job))
                    .redirectError(ProcessBuilder.Redirect.appendTo(job.logFile().toFile()))
                    .start();
        } catch (IOException e) {
            return JobRunner.crashed(job.runId(), "the run's JVM could not be started: " + e.getMessage(), 0, List.of());
        }
        // stdin stays open and unused: the child takes its end-of-file as the sign that this process died
        OutputStream keepOpen = process.getOutputStream();
        var reader = Thread.ofPlatform().name("run-" + job.runId() + "-out").daemon().start(() -> relay(process, watcher, job));
        boolean killed = false;
        try {
            if (!process.waitFor((long) Math.ceil(limit * 1000), TimeUnit.MILLISECONDS)) {
                killed = true;
                kill(process);
            }
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
        }
        try {
            reader.join(10_000);
            keepOpen.close();
        } catch (InterruptedException | IOException e) {
            Thread.currentThread().interrupt();
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        var result = ResultFile.read(job.resultFile());
        if (result.isPresent()) return result.get();
        if (killed) {
            var event = new RunEvent(0, EventKind.KILLED, "run-time-limit", Map.of("limit_seconds", limit, "wall_seconds", wall),
                    EventAction.KILL, String.format(Locale.ROOT, "killed after %.0f s: still running at the hard limit of its budget "
                            + "(%s × %.2f + %.0f s grace)", wall, job.recipe().runBudget().format(), settings.slack(),
                            settings.graceSeconds()));
            var crashed = JobRunner.crashed(job.runId(), event.message(), wall, List.of(event));
            ResultFile.write(job.resultFile(), crashed);
            return crashed;
        }
        int code = process.exitValue();
        var tail = Files2.tail(job.logFile(), 3).replace('\n', ' ').strip();
        var crashed = JobRunner.crashed(job.runId(), "the run's JVM exited with code " + code + " without a result"
                + (tail.isEmpty() ? "" : ": " + tail), wall, List.of());
        ResultFile.write(job.resultFile(), crashed);
        return crashed;
    }

    static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Hands protocol lines to the listener; anything else the child printed on stdout goes to its log. */
    private static void relay(Process process, RunWatcher watcher, RunJob job) {
        try (var in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             var log = new PrintWriter(Files.newBufferedWriter(job.logFile(), StandardCharsets.UTF_8,
                     StandardOpenOption.CREATE, StandardOpenOption.APPEND))) {
            String line;
            while ((line = in.readLine()) != null) {
                boolean handled;
                try {
                    handled = Protocol.read(line, watcher);
                } catch (RuntimeException e) {
                    handled = true; // a listener's failure must not stop the relay (the child would block on a full pipe)
                }
                if (!handled) {
                    log.println(line);
                    log.flush();
                }
            }
        } catch (IOException ignored) {
            // the child is gone
        }
    }

    @Override
    public String describe() {
        return "child-jvm";
    }
}
