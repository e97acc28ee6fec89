package dev.flywheel.engine;

/**
 * SplitMix64: a small, fast generator whose whole state is one long, so a checkpoint can save and restore it and a
 * resumed run continues the exact same stream. Gaussians use Box–Muller with StrictMath for reproducibility.
 */
public final class Rng {

    private long state;

    public Rng(long seed) {
        this.state = seed;
    }

    public long state() {
        return state;
    }

    public void setState(long state) {
        this.state = state;
    }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        return mix(z);
    }

    /** The SplitMix64 output function, also usable as a stateless hash of a counter. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound). */
    public int nextInt(int bound) {
        return (int) Math.floorMod(nextLong() >>> 1, (long) bound);
    }

    public double nextGaussian() {
        double u1 = nextDouble(), u2 = nextDouble();
        if (u1 < 1e-300) u1 = 1e-300;
        return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * Math.PI * u2);
    }
}
