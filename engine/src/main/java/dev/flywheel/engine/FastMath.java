package dev.flywheel.engine;

/**
 * exp and tanh built from +, ×, fma and bit operations only, so they give the same bits in the interpreter, in
 * compiled code and on every run — unlike {@link Math#exp}, whose result may come from different implementations
 * at different moments of a run. Accuracy is a few float ulps, ample for training.
 */
public final class FastMath {

    private FastMath() {}

    static final float LOG2E = 1.44269504088896341f;
    static final float LN2_HI = 0.693145751953125f;
    static final float LN2_LO = 1.428606765330187e-06f;
    /** 1.5·2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the nearest integer. */
    static final float ROUND = 12582912f;
    static final float EXP_MIN = -87.0f;
    static final float EXP_MAX = 88.0f;

    /** e^x for float x, clamped to [e^-87, e^88]. */
    public static float exp(float x) {
        x = Math.max(EXP_MIN, Math.min(EXP_MAX, x));
        float n = (x * LOG2E + ROUND) - ROUND;
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
        return p * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    /** tanh(x) = sign(x)·(1 − e^{−2|x|}) / (1 + e^{−2|x|}). */
    public static float tanh(float x) {
        float e = exp(-2f * Math.abs(x));
        float t = (1f - e) / (1f + e);
        return x < 0 ? -t : t;
    }

    /** The logistic sigmoid 1 / (1 + e^{−x}). */
    public static float sigmoid(float x) {
        return 1f / (1f + exp(-x));
    }
}
