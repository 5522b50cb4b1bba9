package dev.vmamba.core.scan;

/**
 * Float math for the Java scan kernels: an {@code exp} accurate to about 2 ulp that the JIT turns
 * into a dozen straight-line instructions (no call, no branch), and the softplus of the reference
 * kernels. The vector kernel uses the same polynomial, so both Java kernels agree closely.
 */
final class FastMath {

    static final float LOG2E = 1.44269504088896341f;

    /** 1.5·2²³: adding it rounds a float in (-2²², 2²²) to an integer in the low mantissa bits. */
    static final float ROUND_MAGIC = 12582912f;

    /** Exponent range kept normal: 2^-125 .. 2^127. */
    static final float MIN_EXP2 = -125f;

    static final float MAX_EXP2 = 127f;
    // minimax polynomial for 2^f on [-0.5, 0.5] (Cephes exp2f): 2^f ≈ 1 + f·P(f)
    static final float P0 = 1.535336188319500e-4f;
    static final float P1 = 1.339887440266574e-3f;
    static final float P2 = 9.618437357674640e-3f;
    static final float P3 = 5.550332471162809e-2f;
    static final float P4 = 2.402264791363012e-1f;
    static final float P5 = 6.931472028550421e-1f;

    private FastMath() {}

    /**
     * {@code exp(x)} for float x; results below 2^-125 are returned as about 2^-125 (the scan
     * multiplies them into bounded states, where the difference to 0 is invisible in float32).
     *
     * @param x the argument
     * @return e^x
     */
    static float exp(float x) {
        float t = Math.min(Math.max(x * LOG2E, MIN_EXP2), MAX_EXP2);
        float r = t + ROUND_MAGIC;
        float k = r - ROUND_MAGIC;
        float f = t - k;
        float p = Math.fma(f, P0, P1);
        p = Math.fma(f, p, P2);
        p = Math.fma(f, p, P3);
        p = Math.fma(f, p, P4);
        p = Math.fma(f, p, P5);
        p = Math.fma(f, p, 1f);
        int ki = Float.floatToRawIntBits(r) - Float.floatToRawIntBits(ROUND_MAGIC);
        return p * Float.intBitsToFloat((ki + 127) << 23);
    }

    /**
     * PyTorch's softplus with beta 1 and threshold 20, computed in double and rounded.
     *
     * @param x the argument
     * @return {@code x} if {@code x > 20}, else {@code log(1 + e^x)}
     */
    static float softplus(float x) {
        return x > 20f ? x : (float) Math.log1p(Math.exp(x));
    }
}
