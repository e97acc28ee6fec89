package dev.flywheel.engine;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of worker threads for parallel loops: {@code parallelFor(n, body)} cuts [0, n) into a few contiguous
 * chunks per thread, and the calling thread and the workers take chunks until none are left.
 *
 * <p>Kernels are written so that every output element is computed within one chunk, by code that does not depend
 * on where the chunk starts or ends, so results are bitwise the same whatever the number of threads and whichever
 * thread runs which chunk. Taking chunks rather than owning a fixed share matters on a shared machine: a worker
 * that the OS has descheduled does not hold up the loop, the running threads take its chunks.
 *
 * <p>Workers spin briefly before parking, because a training step issues hundreds of short parallel loops and
 * waking a parked thread costs more than many of them. The pool is driven by one thread at a time.
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
    /** Chunks per thread: enough for the running threads to absorb a descheduled one. */
    private static final int CHUNKS_PER_THREAD = 4;
    /** Chunks of a loop must fit the 16 bits of {@link #state} that count them. */
    private static final int MAX_THREADS = 0xFFFF / CHUNKS_PER_THREAD;

    static void backoff(int round) {
        if (round < SPINS) Thread.onSpinWait();
        else if (round < SPINS + YIELDS) Thread.yield();
        else LockSupport.parkNanos(20_000);
    }

    private final int threads;
    private final Worker[] workers;
    /**
     * The loop in flight: its number (bits 32–63), its number of chunks (bits 16–31) and the next chunk to take
     * (bits 0–15). The chunk count travels in the same word as the loop number so that a worker still in an
     * earlier loop can never judge that loop's chunks by the next loop's count.
     */
    private final AtomicLong state = new AtomicLong();
    /** Chunks of the loop in flight that have finished. */
    private final AtomicInteger done = new AtomicInteger();
    private volatile boolean closed;
    private volatile Throwable failure;

    // the loop in flight, written before its number is published in state
    private Range body;
    private int n;
    private int loop;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1 (got " + threads + ")");
        if (threads > MAX_THREADS) throw new IllegalArgumentException("threads must be at most " + MAX_THREADS + " (got " + threads + ")");
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

    /**
     * Runs {@code body} over [0, n), in up to {@link #CHUNKS_PER_THREAD} contiguous chunks per thread, or in
     * exactly n chunks of one when n ≤ threads (so {@code parallelFor(threads(), body)} gives each index to one
     * caller of body: per-index scratch is safe).
     */
    public void parallelFor(int n, Range body) {
        run(n, n <= threads ? n : Math.min(n, CHUNKS_PER_THREAD * threads), body);
    }

    /**
     * Runs {@code body} over [0, n) in chunks of at least {@code grain} items (on one thread when n &lt; 2·grain):
     * for cheap items, where waking a thread costs more than a few of them.
     */
    public void parallelFor(int n, int grain, Range body) {
        run(n, (int) Math.max(1, Math.min((long) CHUNKS_PER_THREAD * threads, n / Math.max(1L, grain))), body);
    }

    private void run(int n, int chunks, Range body) {
        if (n <= 0) return;
        if (threads == 1 || chunks <= 1) {
            body.run(0, n);
            return;
        }
        if (closed) throw new IllegalStateException("this Parallel pool is closed");
        this.body = body;
        this.n = n;
        this.failure = null;
        done.set(0);
        int id = ++loop;
        state.set((long) id << 32 | (long) chunks << 16); // publishes body and n
        for (Worker w : workers) w.wake();
        work(id);
        int round = 0;
        while (done.get() < chunks) backoff(round++);
        this.body = null;
        Throwable f = failure;
        if (f != null) {
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error e) throw e;
            throw new RuntimeException(f);
        }
    }

    /** Takes and runs chunks of loop {@code id} until none are left (or the pool has moved to another loop). */
    private void work(int id) {
        while (true) {
            long s = state.get();
            if ((int) (s >>> 32) != id) return;
            int total = (int) (s >>> 16) & 0xFFFF, c = (int) s & 0xFFFF;
            if (c >= total) return;
            Range b = body;
            int len = n;
            // taking chunk c of loop id proves that loop id was still running when b and len were read: the loop
            // cannot end, and the next one cannot be published, before all its chunks are taken
            if (!state.compareAndSet(s, s + 1)) continue;
            try {
                int start = partStart(len, total, c), end = partStart(len, total, c + 1);
                if (start < end) b.run(start, end);
            } catch (Throwable t) {
                failure = t;
            }
            done.incrementAndGet();
        }
    }

    /** The range [start, end) of part {@code part} out of {@code parts} over [0, n): contiguous, balanced. */
    public static int partStart(int n, int parts, int part) {
        return (int) ((long) n * part / parts);
    }

    @Override
    public void close() {
        closed = true;
        state.set((long) ++loop << 32);
        for (Worker w : workers) w.wake();
        for (Worker w : workers) {
            try {
                w.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private final class Worker extends Thread {
        private volatile boolean parked;
        private int seen;

        Worker(int part) {
            super("flywheel-worker-" + part);
            setDaemon(true);
        }

        void wake() {
            if (parked) LockSupport.unpark(this);
        }

        @Override
        public void run() {
            while (true) {
                int round = 0, id;
                while ((id = (int) (state.get() >>> 32)) == seen) {
                    if (round < SPINS + YIELDS) {
                        backoff(round++);
                    } else {
                        parked = true;
                        if ((int) (state.get() >>> 32) == seen) LockSupport.park(this);
                        parked = false;
                    }
                }
                seen = id;
                if (closed) return;
                work(id);
            }
        }
    }
}
