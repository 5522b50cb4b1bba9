package dev.vmamba.core.scan;

import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The scan vectorised across channels with the (incubating) Java Vector API: one vector lane per
 * channel, all lanes in one B/C group, so {@code B[n, t]} and {@code C[n, t]} are scalars broadcast
 * to every lane and no horizontal reduction is ever needed. A tile of {@value #CHUNK} steps of u
 * and Δ is transposed into step-major order; then, two states at a time (sharing the loads of Δ,
 * Δ·u and y), the recurrence runs along the tile with the states in registers.
 *
 * <p>Code shape matters here: HotSpot only keeps vectors in registers when every Vector API call of
 * a loop is inlined, and it stops inlining once a compilation grows past a node budget. The state
 * loop therefore lives in its own method ({@link #scanStates}), large enough that it is compiled on
 * its own rather than inlined into {@link #run}, and small enough to inline fully.
 *
 * <p>This class references {@code jdk.incubator.vector}; it is only loaded when that module is
 * present ({@code --add-modules jdk.incubator.vector}), see {@link JavaSelectiveScan}.
 */
final class VectorScanKernel implements ScanKernel {

    static final int CHUNK = 64;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();

    @Override
    public int lanes() {
        return V;
    }

    @Override
    public String name() {
        return "vector" + (V * 32);
    }

    @Override
    public void run(ScanProblem p, int bIndex, int c0, int width) {
        if (width != V) {
            throw new IllegalArgumentException("vector kernel needs blocks of " + V + " channels");
        }
        final int n = p.dState;
        final int len = p.length;
        final int group = c0 / p.perGroup;
        float[] dtT = new float[CHUNK * V];
        float[] duT = new float[CHUNK * V];
        float[] yT = new float[CHUNK * V];
        float[] aT = new float[n * V];
        float[] hS = new float[n * V];
        float[] biasV = new float[V];
        float[] dV = new float[V];
        for (int lane = 0; lane < V; lane++) {
            int ch = c0 + lane;
            for (int s = 0; s < n; s++) {
                aT[s * V + lane] = p.a[ch * n + s];
            }
            biasV[lane] = p.bias == null ? 0f : p.bias[ch];
            dV[lane] = p.d == null ? 0f : p.d[ch];
        }
        int row0 = p.rowOffset(bIndex, c0);
        int proj0 = p.projectionOffset(bIndex, group, 0);
        for (int t0 = 0; t0 < len; t0 += CHUNK) {
            int tl = Math.min(CHUNK, len - t0);
            loadTile(p, row0 + t0, tl, dtT, yT);
            discretise(p.softplus, tl, biasV, dV, dtT, duT, yT);
            scanStates(p.b, p.c, proj0 + t0, len, n, tl, aT, hS, dtT, duT, yT);
            storeTile(p.y, row0 + t0, len, tl, yT);
        }
        if (p.lastState != null) {
            for (int lane = 0; lane < V; lane++) {
                int dst = (bIndex * p.channels + c0 + lane) * n;
                for (int st = 0; st < n; st++) {
                    p.lastState[dst + st] = hS[st * V + lane];
                }
            }
        }
    }

    /** Transposes Δ and u of V channel rows × tl steps into step-major tiles (u into yT). */
    private static void loadTile(ScanProblem p, int start, int tl, float[] dtT, float[] uT) {
        int len = p.length;
        for (int lane = 0; lane < V; lane++) {
            int src = start + lane * len;
            for (int t = 0; t < tl; t++) {
                dtT[t * V + lane] = p.delta.get(src + t);
                uT[t * V + lane] = p.u.get(src + t);
            }
        }
    }

    /** Δ = softplus(delta + bias), Δ·u, and y initialised to D·u (u is read from yT). */
    private static void discretise(
            boolean softplus,
            int tl,
            float[] biasV,
            float[] dV,
            float[] dtT,
            float[] duT,
            float[] yT) {
        FloatVector bias = FloatVector.fromArray(S, biasV, 0);
        FloatVector dSkip = FloatVector.fromArray(S, dV, 0);
        for (int t = 0; t < tl; t++) {
            int o = t * V;
            FloatVector x = FloatVector.fromArray(S, dtT, o).add(bias);
            FloatVector step = softplus ? softplus(x) : x;
            FloatVector uv = FloatVector.fromArray(S, yT, o);
            step.intoArray(dtT, o);
            step.mul(uv).intoArray(duT, o);
            dSkip.mul(uv).intoArray(yT, o);
        }
    }

    /**
     * The recurrence for all N states over one tile, two states per pass.
     *
     * @param bb B, flat
     * @param cc C, flat
     * @param proj offset of {@code (b, group, n = 0, t0)} in B/C
     * @param stride distance between consecutive states in B/C (L)
     */
    private static void scanStates(
            float[] bb,
            float[] cc,
            int proj,
            int stride,
            int n,
            int tl,
            float[] aT,
            float[] hS,
            float[] dtT,
            float[] duT,
            float[] yT) {
        int s = 0;
        for (; s + 2 <= n; s += 2) {
            FloatVector a0 = FloatVector.fromArray(S, aT, s * V);
            FloatVector a1 = FloatVector.fromArray(S, aT, (s + 1) * V);
            FloatVector h0 = FloatVector.fromArray(S, hS, s * V);
            FloatVector h1 = FloatVector.fromArray(S, hS, (s + 1) * V);
            int r0 = proj + s * stride;
            int r1 = r0 + stride;
            for (int t = 0; t < tl; t++) {
                int o = t * V;
                FloatVector dt = FloatVector.fromArray(S, dtT, o);
                FloatVector du = FloatVector.fromArray(S, duT, o);
                FloatVector y = FloatVector.fromArray(S, yT, o);
                h0 = exp(dt.mul(a0)).fma(h0, du.mul(bb[r0 + t]));
                h1 = exp(dt.mul(a1)).fma(h1, du.mul(bb[r1 + t]));
                y = h0.fma(FloatVector.broadcast(S, cc[r0 + t]), y);
                y = h1.fma(FloatVector.broadcast(S, cc[r1 + t]), y);
                y.intoArray(yT, o);
            }
            h0.intoArray(hS, s * V);
            h1.intoArray(hS, (s + 1) * V);
        }
        if (s < n) {
            FloatVector a0 = FloatVector.fromArray(S, aT, s * V);
            FloatVector h0 = FloatVector.fromArray(S, hS, s * V);
            int r0 = proj + s * stride;
            for (int t = 0; t < tl; t++) {
                int o = t * V;
                FloatVector dt = FloatVector.fromArray(S, dtT, o);
                FloatVector du = FloatVector.fromArray(S, duT, o);
                h0 = exp(dt.mul(a0)).fma(h0, du.mul(bb[r0 + t]));
                h0.fma(FloatVector.broadcast(S, cc[r0 + t]), FloatVector.fromArray(S, yT, o))
                        .intoArray(yT, o);
            }
            h0.intoArray(hS, s * V);
        }
    }

    /** Transposes the step-major output tile back into V channel rows. */
    private static void storeTile(FloatBuffer y, int start, int len, int tl, float[] yT) {
        for (int lane = 0; lane < V; lane++) {
            int dst = start + lane * len;
            for (int t = 0; t < tl; t++) {
                y.put(dst + t, yT[t * V + lane]);
            }
        }
    }

    /**
     * e^x through the Vector API, which HotSpot maps to its SVML-derived vector math stubs on
     * x86-64 (a polynomial written with Vector API calls measured no faster and costs more of the
     * JIT's inlining budget).
     */
    static FloatVector exp(FloatVector x) {
        return x.lanewise(VectorOperators.EXP);
    }

    /** PyTorch softplus (threshold 20) with the Vector API's exp and log1p. */
    static FloatVector softplus(FloatVector x) {
        VectorMask<Float> big = x.compare(VectorOperators.GT, 20f);
        FloatVector sp = x.min(20f).lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P);
        return sp.blend(x, big);
    }
}
