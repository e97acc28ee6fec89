package dev.flywheel.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp and tanh built from +, ×, fma and bit operations only, so they give the same bits in the interpreter, in
 * compiled code and on every run — unlike {@link Math#exp}, whose result may come from different implementations
 * at different moments of a run. Accuracy is a few float ulps, ample for training.
 *
 * <p>Each function has a scalar and a vector form that perform the same IEEE operations in the same order, so an
 * element gets the same bits whether a kernel computes it in a vector body or in a scalar tail (FastMathTest checks
 * this). Keep the two forms in step when changing either.
 */
public final class FastMath {

    private FastMath() {}

    static final VectorSpecies<Float> S = Simd.FLOAT;

    static final float LOG2E = 1.44269504088896341f;
    static final float LN2_HI = 0.693145751953125f;
    static final float LN2_LO = 1.428606765330187e-06f;
    /** 1.5·2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the nearest integer. */
    static final float ROUND = 12582912f;
    /** The bits of ROUND less the exponent bias: bits(ROUND + n) − this = n + 127, the biased exponent of 2^n. */
    static final int ROUND_BITS_MINUS_BIAS = Float.floatToRawIntBits(ROUND) - 127;
    static final float EXP_MIN = -87.0f;
    static final float EXP_MAX = 88.0f;
    static final int SIGN = 0x80000000;

    /** e^x for float x, clamped to [e^-87, e^88] (NaN stays NaN). */
    public static float exp(float x) {
        x = x > EXP_MAX ? EXP_MAX : x;
        x = x < EXP_MIN ? EXP_MIN : x;
        float t = x * LOG2E + ROUND;
        float n = t - ROUND;
        float r = Math.fma(-n, LN2_LO, Math.fma(-n, LN2_HI, x));
        // Taylor series of e^r to degree 7 on |r| <= ln2/2: truncation error below 5e-9 relative.
        float p = 1f / 5040f;
        p = Math.fma(p, r, 1f / 720f);
        p = Math.fma(p, r, 1f / 120f);
        p = Math.fma(p, r, 1f / 24f);
        p = Math.fma(p, r, 1f / 6f);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        return p * Float.intBitsToFloat((Float.floatToRawIntBits(t) - ROUND_BITS_MINUS_BIAS) << 23);
    }

    /** Vector form of {@link #exp(float)}: the same operations lane by lane. */
    static FloatVector exp(FloatVector x) {
        // a compare and a blend each (Java's min and max semantics cost several instructions per lane)
        x = x.blend(EXP_MAX, x.compare(VectorOperators.GT, EXP_MAX));
        x = x.blend(EXP_MIN, x.compare(VectorOperators.LT, EXP_MIN));
        var t = x.mul(LOG2E).add(ROUND);
        var n = t.sub(ROUND);
        var nn = n.neg();
        var r = nn.fma(FloatVector.broadcast(S, LN2_LO), nn.fma(FloatVector.broadcast(S, LN2_HI), x));
        var p = FloatVector.broadcast(S, 1f / 5040f);
        p = p.fma(r, FloatVector.broadcast(S, 1f / 720f));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 120f));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 24f));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 6f));
        p = p.fma(r, FloatVector.broadcast(S, 0.5f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        IntVector bits = (IntVector) t.reinterpretAsInts();
        var scale = bits.sub(ROUND_BITS_MINUS_BIAS).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale);
    }

    /** tanh(x) = sign(x)·(1 − e^{−2|x|}) / (1 + e^{−2|x|}). */
    public static float tanh(float x) {
        float e = exp(Math.abs(x) * -2f);
        float t = (1f - e) / (1f + e);
        return Float.intBitsToFloat(Float.floatToRawIntBits(t) | (Float.floatToRawIntBits(x) & SIGN));
    }

    /** Vector form of {@link #tanh(float)}. */
    static FloatVector tanh(FloatVector x) {
        var e = exp(x.abs().mul(-2f));
        var one = FloatVector.broadcast(S, 1f);
        var t = one.sub(e).div(one.add(e));
        IntVector sign = (IntVector) x.reinterpretAsInts().lanewise(VectorOperators.AND, SIGN);
        return t.reinterpretAsInts().lanewise(VectorOperators.OR, sign).reinterpretAsFloats();
    }

    /** The logistic sigmoid 1 / (1 + e^{−x}). */
    public static float sigmoid(float x) {
        return 1f / (1f + exp(-x));
    }

    /** Vector form of {@link #sigmoid(float)}. */
    static FloatVector sigmoid(FloatVector x) {
        var one = FloatVector.broadcast(S, 1f);
        return one.div(one.add(exp(x.neg())));
    }
}
