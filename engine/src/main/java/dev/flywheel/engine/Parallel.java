package dev.flywheel.engine;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of worker threads with static partitioning: {@code parallelFor(n, body)} splits [0, n) into one
 * contiguous range per thread and runs them at once, the calling thread taking the first range.
 *
 * <p>Kernels are written so that every output element is computed by exactly one range in a fixed order, which
 * makes results bitwise reproducible for a given thread count (most kernels are independent of it). Workers spin
 * briefly before parking, because a training step issues hundreds of short parallel loops and waking a parked
 * thread costs more than many of them.
 */
public final class Parallel implements AutoCloseable {

    /** The body of a parallel loop over the index range [start, end). */
    @FunctionalInterface
    public interface Range {
        void run(int start, int end);
    }

    /**
     * Waiting is spin (cheapest wake-up), then yield (lets another runnable thread — the JIT compiler, a second
     * process — have the core: spinning through a time slice on an oversubscribed machine costs milliseconds),
     * then park.
     */
    private static final int SPINS = 1 << 11, YIELDS = 64;

    static void backoff(int round) {
        if (round < SPINS) Thread.onSpinWait();
        else if (round < SPINS + YIELDS) Thread.yield();
        else LockSupport.parkNanos(20_000);
    }

    private final int threads;
    private final Worker[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Thread caller;
    private volatile boolean closed;
    private volatile Throwable failure;

    private Range body;
    private int n;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1 (got " + threads + ")");
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].start();
        }
    }

    /** One thread per available processor. */
    public static Parallel ofAvailableProcessors() {
        return new Parallel(Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code body} over [0, n), split into {@link #threads()} contiguous ranges. */
    public void parallelFor(int n, Range body) {
        if (n <= 0) return;
        if (threads == 1 || n == 1) {
            body.run(0, n);
            return;
        }
        if (closed) throw new IllegalStateException("this Parallel pool is closed");
        this.body = body;
        this.n = n;
        this.failure = null;
        this.caller = Thread.currentThread();
        pending.set(workers.length);
        for (Worker w : workers) w.submit();
        try {
            runRange(0);
        } catch (Throwable t) {
            failure = t;
        }
        int round = 0;
        while (pending.get() != 0) backoff(round++);
        this.body = null;
        Throwable f = failure;
        if (f != null) {
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error e) throw e;
            throw new RuntimeException(f);
        }
    }

    /** The range [start, end) of part {@code part} out of {@code parts} over [0, n): contiguous, balanced. */
    public static int partStart(int n, int parts, int part) {
        return (int) ((long) n * part / parts);
    }

    private void runRange(int part) {
        int start = partStart(n, threads, part), end = partStart(n, threads, part + 1);
        if (start < end) body.run(start, end);
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            w.submit();
        }
        for (Worker w : workers) {
            try {
                w.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private final class Worker extends Thread {
        private final int part;
        private volatile long generation;
        private long seen;

        Worker(int part) {
            super("flywheel-worker-" + part);
            this.part = part;
            setDaemon(true);
        }

        void submit() {
            generation++;
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            while (true) {
                int round = 0;
                while (generation == seen) {
                    if (round < SPINS + YIELDS) backoff(round++);
                    else LockSupport.park(this);
                }
                seen = generation;
                if (closed) return;
                try {
                    runRange(part);
                } catch (Throwable t) {
                    failure = t;
                }
                if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
            }
        }
    }
}
