package dev.flywheel.app;

import dev.flywheel.engine.Gpt;
import dev.flywheel.engine.LrSchedule;
import dev.flywheel.engine.ModelConfig;
import dev.flywheel.engine.OptimizerConfig;
import dev.flywheel.engine.Parallel;
import dev.flywheel.engine.PeakProbe;
import dev.flywheel.engine.Profile;
import dev.flywheel.engine.TrainBudget;
import dev.flywheel.engine.TrainConfig;
import dev.flywheel.engine.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Times whole training steps of a GPT-2-shaped model (LayerNorm, learned positions, GELU, tied head, biases) on
 * random tokens: forward, backward, AdamW update — the same work per step as ../shared/bench/torch_gpt_bench.py.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time training steps of a GPT-2-shaped model on random tokens (median after warm-up).")
final class BenchCommand implements Callable<Integer> {

    /** CPU time of the whole process (all threads), or −1. */
    static long processCpuNanos() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    /** Bytes allocated on the Java heap by all threads so far, or −1. */
    static long allocatedBytes() {
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        return threads instanceof com.sun.management.ThreadMXBean sun && sun.isThreadAllocatedMemorySupported()
                ? sun.getTotalThreadAllocatedBytes() : -1;
    }

    /** The process's peak resident set (VmHWM) in kB, or −1 where /proc is not available. */
    static long peakRssKb() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }

    @Option(names = "--layers", converter = Numbers.PositiveInt.class, defaultValue = "4", description = "Transformer blocks (default: ${DEFAULT-VALUE}).")
    int layers;
    @Option(names = "--heads", converter = Numbers.PositiveInt.class, defaultValue = "4", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads;
    @Option(names = "--dim", converter = Numbers.PositiveInt.class, defaultValue = "128", description = "Model width (default: ${DEFAULT-VALUE}).")
    int dim;
    @Option(names = "--seq", converter = Numbers.PositiveInt.class, defaultValue = "64", description = "Sequence length (default: ${DEFAULT-VALUE}).")
    int seq;
    @Option(names = "--batch", converter = Numbers.PositiveInt.class, defaultValue = "12", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--vocab", converter = Numbers.PositiveInt.class, defaultValue = "65", description = "Vocabulary size (default: ${DEFAULT-VALUE}).")
    int vocab;
    @Option(names = "--steps", converter = Numbers.PositiveInt.class, defaultValue = "30", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--warmup", converter = Numbers.NonNegativeInt.class, defaultValue = "5", description = "Untimed warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--threads", converter = Numbers.PositiveInt.class, description = "Worker threads (default: all processors).")
    Integer threads;
    @Option(names = "--no-peak", description = "Skip the FMA peak probe (no MFU figure).")
    boolean noPeak;
    @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
    boolean json;

    @Override
    public Integer call() {
        var out = new Output(json);
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        var cfg = ModelConfig.gpt2(vocab, seq, layers, heads, dim);
        try (var pool = new Parallel(nThreads)) {
            // probed before and after the timed steps, the better figure kept: a peak can only be under-measured
            // (the probe's code not yet compiled, another process on a core), and MFU against a low peak flatters
            double peakBefore = noPeak ? Double.NaN : PeakProbe.gflops(pool, 400);
            var model = new Gpt(cfg, pool);
            model.initialize(0);
            var opt = new OptimizerConfig(OptimizerConfig.Kind.ADAMW, 1e-3f, 1f, 0.9f, 0.999f, 1e-8f, 0.1f, 0f, 0.02f,
                    0.95f);
            var tc = new TrainConfig(batch, seq, 1, opt, new LrSchedule.Constant(0),
                    new TrainBudget.Steps(Long.MAX_VALUE / 2), 0, 1, 0);
            var rng = new java.util.Random(0);
            int[] x = new int[batch * seq], y = new int[batch * seq];
            for (int i = 0; i < x.length; i++) {
                x[i] = rng.nextInt(vocab);
                y[i] = rng.nextInt(vocab);
            }
            // the same batch every step, as in the PyTorch reference
            var trainer = new Trainer(model, tc, (step, micro, b, t, in, tg) -> {
                System.arraycopy(x, 0, in, 0, x.length);
                System.arraycopy(y, 0, tg, 0, y.length);
            }, null, null);
            out.say("bench: %d params, L%d H%d C%d T%d B%d V%d, %d threads", model.parameterCount(), layers, heads,
                    dim, seq, batch, vocab, nThreads);
            for (int i = 0; i < warmup; i++) trainer.step();
            model.profile.reset();
            var times = new ArrayList<Double>();
            long cpu0 = processCpuNanos(), alloc0 = allocatedBytes();
            for (int i = 0; i < steps; i++) times.add(trainer.step().stepSeconds());
            long cpu1 = processCpuNanos(), alloc1 = allocatedBytes();
            double peak = noPeak ? Double.NaN : Math.max(peakBefore, PeakProbe.gflops(pool, 400));
            var sorted = new ArrayList<>(times);
            Collections.sort(sorted);
            double median = sorted.get(sorted.size() / 2);
            double tokS = batch * seq / median;
            double flopsPerStep = trainer.flopsPerToken() * batch * seq;
            double mfu = flopsPerStep / median / 1e9 / peak;
            var phases = new LinkedHashMap<String, Object>();
            double total = 0;
            for (var e : model.profile.millis().entrySet()) {
                double ms = e.getValue() / steps;
                total += ms;
                phases.put(e.getKey().name().toLowerCase(Locale.ROOT) + "_ms", Output.round(ms, 3));
            }
            double mean = times.stream().mapToDouble(d -> d).average().orElse(median) * 1e3;
            phases.put("other_ms", Output.round(Math.max(0, mean - total), 3));
            out.say("  %.2f ms/step (median of %d), %.0f tokens/s, %.1f GFLOP/s%s", median * 1e3, steps, tokS,
                    flopsPerStep / median / 1e9, noPeak ? "" : String.format(Locale.ROOT,
                            ", MFU %.1f%% of the FMA peak %.0f GFLOP/s", 100 * mfu, peak));
            var sb = new StringBuilder("  per step:");
            phases.forEach((k, v) -> sb.append(' ').append(k.replace("_ms", "")).append(' ').append(v).append(" ms"));
            out.say("%s", sb);
            var result = new LinkedHashMap<String, Object>();
            result.put("engine", "flywheel");
            result.put("threads", nThreads);
            result.put("params", model.parameterCount());
            result.put("layers", layers);
            result.put("heads", heads);
            result.put("dim", dim);
            result.put("seq", seq);
            result.put("batch", batch);
            result.put("vocab", vocab);
            result.put("ms_per_step", Output.round(median * 1e3, 3));
            result.put("tokens_per_s", Output.round(tokS, 1));
            result.put("gflops", Output.round(flopsPerStep / median / 1e9, 2));
            if (!noPeak) {
                result.put("peak_gflops", Output.round(peak, 1));
                result.put("mfu", Output.round(mfu, 4));
            }
            result.put("phases", phases);
            // diagnostics: CPU time per step counts spinning workers too, but not time lost to other processes
            // (with --threads 1 it is the measure least disturbed by a busy machine); allocation should be ~0
            if (cpu0 >= 0 && cpu1 >= 0) result.put("cpu_ms_per_step", Output.round((cpu1 - cpu0) / 1e6 / steps, 3));
            if (alloc0 >= 0 && alloc1 >= 0) result.put("alloc_bytes_per_step", (alloc1 - alloc0) / steps);
            long rss = peakRssKb();
            if (rss > 0) result.put("peak_rss_mb", Output.round(rss / 1024.0, 1));
            out.say("  cpu %.2f ms/step, allocated %d bytes/step, peak RSS %s", (cpu1 - cpu0) / 1e6 / steps,
                    (alloc1 - alloc0) / steps, rss > 0 ? Math.round(rss / 1024.0) + " MB" : "?");
            out.result(result);
        }
        return 0;
    }
}
