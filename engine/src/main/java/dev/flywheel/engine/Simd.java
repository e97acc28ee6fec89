package dev.flywheel.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width every kernel of the engine uses: the machine's preferred one (512 bits on AVX-512, 256 on AVX2),
 * or a narrower one chosen with {@code -Dfw.vector=256} or {@code 128} (bits). The tests use the narrower widths to
 * run the kernels an AVX2 or a 128-bit machine would run (a different micro-kernel, see {@link Matmul#MR}) on any
 * machine. A width wider than the preferred one is refused: the JIT would not compile it to vector instructions.
 */
final class Simd {

    private Simd() {}

    static final VectorSpecies<Float> FLOAT = floats(System.getProperty("fw.vector"));
    /** Doubles in vectors of the same bit size as {@link #FLOAT}. */
    static final VectorSpecies<Double> DOUBLE = VectorSpecies.of(double.class, FLOAT.vectorShape());

    static VectorSpecies<Float> floats(String bits) {
        VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
        if (bits == null || bits.isBlank() || bits.equals("preferred")) return preferred;
        int max = preferred.vectorBitSize();
        int n;
        try {
            n = Integer.parseInt(bits.trim());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if ((n != 128 && n != 256 && n != 512) || n > max) {
            throw new IllegalArgumentException("-Dfw.vector=" + bits + " is not a vector width this machine runs; "
                    + "use 128" + (max >= 256 ? ", 256" : "") + (max >= 512 ? ", 512" : "") + " (bits) or leave it "
                    + "unset for the preferred " + max + ".");
        }
        return VectorSpecies.of(float.class, VectorShape.forBitSize(n));
    }
}
