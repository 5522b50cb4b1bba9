package dev.vmamba.core.scan;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The scan vectorised across channels with the (incubating) Java Vector API: one vector lane per
 * channel, all lanes in one B/C group, so {@code B[n, t]} and {@code C[n, t]} are scalars
 * broadcast to every lane and no horizontal reduction is ever needed. A tile of {@value #CHUNK}
 * steps of u and Δ is transposed into step-major order, then for each state (four at a time, to
 * share the loads of Δ, Δ·u and y) the recurrence runs along the tile with the states in
 * registers. {@code exp} is the polynomial of {@link FastMath}, vectorised.
 *
 * <p>This class references {@code jdk.incubator.vector}; it is only loaded when that module is
 * present ({@code --add-modules jdk.incubator.vector}), see {@link JavaSelectiveScan}.
 */
final class VectorScanKernel implements ScanKernel {

    static final int CHUNK = 64;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final int MAGIC_BITS = Float.floatToRawIntBits(FastMath.ROUND_MAGIC);

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
        FloatVector bias = FloatVector.fromArray(S, biasV, 0);
        FloatVector dSkip = FloatVector.fromArray(S, dV, 0);
        int row0 = p.rowOffset(bIndex, c0);

        for (int t0 = 0; t0 < len; t0 += CHUNK) {
            int tl = Math.min(CHUNK, len - t0);
            // transpose (lane, t) -> (t, lane); u goes to yT first and is consumed below
            for (int lane = 0; lane < V; lane++) {
                int src = row0 + lane * len + t0;
                for (int t = 0; t < tl; t++) {
                    dtT[t * V + lane] = p.delta[src + t];
                    yT[t * V + lane] = p.u[src + t];
                }
            }
            for (int t = 0; t < tl; t++) {
                int o = t * V;
                FloatVector x = FloatVector.fromArray(S, dtT, o).add(bias);
                FloatVector step = p.softplus ? softplus(x) : x;
                FloatVector uv = FloatVector.fromArray(S, yT, o);
                step.intoArray(dtT, o);
                step.mul(uv).intoArray(duT, o);
                dSkip.mul(uv).intoArray(yT, o);
            }
            int s = 0;
            for (; s + 4 <= n; s += 4) {
                fourStates(p, bIndex, group, s, t0, tl, aT, hS, dtT, duT, yT);
            }
            for (; s < n; s++) {
                oneState(p, bIndex, group, s, t0, tl, aT, hS, dtT, duT, yT);
            }
            for (int lane = 0; lane < V; lane++) {
                int dst = row0 + lane * len + t0;
                for (int t = 0; t < tl; t++) {
                    p.y[dst + t] = yT[t * V + lane];
                }
            }
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

    private static void fourStates(
            ScanProblem p,
            int bIndex,
            int group,
            int s,
            int t0,
            int tl,
            float[] aT,
            float[] hS,
            float[] dtT,
            float[] duT,
            float[] yT) {
        FloatVector a0 = FloatVector.fromArray(S, aT, s * V);
        FloatVector a1 = FloatVector.fromArray(S, aT, (s + 1) * V);
        FloatVector a2 = FloatVector.fromArray(S, aT, (s + 2) * V);
        FloatVector a3 = FloatVector.fromArray(S, aT, (s + 3) * V);
        FloatVector h0 = FloatVector.fromArray(S, hS, s * V);
        FloatVector h1 = FloatVector.fromArray(S, hS, (s + 1) * V);
        FloatVector h2 = FloatVector.fromArray(S, hS, (s + 2) * V);
        FloatVector h3 = FloatVector.fromArray(S, hS, (s + 3) * V);
        int r0 = p.projectionOffset(bIndex, group, s) + t0;
        int r1 = r0 + p.length;
        int r2 = r1 + p.length;
        int r3 = r2 + p.length;
        float[] bb = p.b;
        float[] cc = p.c;
        for (int t = 0; t < tl; t++) {
            int o = t * V;
            FloatVector dt = FloatVector.fromArray(S, dtT, o);
            FloatVector du = FloatVector.fromArray(S, duT, o);
            FloatVector y = FloatVector.fromArray(S, yT, o);
            h0 = exp(dt.mul(a0)).fma(h0, du.mul(bb[r0 + t]));
            h1 = exp(dt.mul(a1)).fma(h1, du.mul(bb[r1 + t]));
            h2 = exp(dt.mul(a2)).fma(h2, du.mul(bb[r2 + t]));
            h3 = exp(dt.mul(a3)).fma(h3, du.mul(bb[r3 + t]));
            y = h0.fma(FloatVector.broadcast(S, cc[r0 + t]), y);
            y = h1.fma(FloatVector.broadcast(S, cc[r1 + t]), y);
            y = h2.fma(FloatVector.broadcast(S, cc[r2 + t]), y);
            y = h3.fma(FloatVector.broadcast(S, cc[r3 + t]), y);
            y.intoArray(yT, o);
        }
        h0.intoArray(hS, s * V);
        h1.intoArray(hS, (s + 1) * V);
        h2.intoArray(hS, (s + 2) * V);
        h3.intoArray(hS, (s + 3) * V);
    }

    private static void oneState(
            ScanProblem p,
            int bIndex,
            int group,
            int s,
            int t0,
            int tl,
            float[] aT,
            float[] hS,
            float[] dtT,
            float[] duT,
            float[] yT) {
        FloatVector a0 = FloatVector.fromArray(S, aT, s * V);
        FloatVector h0 = FloatVector.fromArray(S, hS, s * V);
        int r0 = p.projectionOffset(bIndex, group, s) + t0;
        for (int t = 0; t < tl; t++) {
            int o = t * V;
            FloatVector dt = FloatVector.fromArray(S, dtT, o);
            FloatVector du = FloatVector.fromArray(S, duT, o);
            h0 = exp(dt.mul(a0)).fma(h0, du.mul(p.b[r0 + t]));
            h0.fma(FloatVector.broadcast(S, p.c[r0 + t]), FloatVector.fromArray(S, yT, o)).intoArray(yT, o);
        }
        h0.intoArray(hS, s * V);
    }

    /** Vector form of {@link FastMath#exp}. */
    static FloatVector exp(FloatVector x) {
        FloatVector t = x.mul(FastMath.LOG2E).max(FastMath.MIN_EXP2).min(FastMath.MAX_EXP2);
        FloatVector r = t.add(FastMath.ROUND_MAGIC);
        FloatVector f = t.sub(r.sub(FastMath.ROUND_MAGIC));
        FloatVector poly = f.fma(FloatVector.broadcast(S, FastMath.P0), FloatVector.broadcast(S, FastMath.P1));
        poly = f.fma(poly, FloatVector.broadcast(S, FastMath.P2));
        poly = f.fma(poly, FloatVector.broadcast(S, FastMath.P3));
        poly = f.fma(poly, FloatVector.broadcast(S, FastMath.P4));
        poly = f.fma(poly, FloatVector.broadcast(S, FastMath.P5));
        poly = f.fma(poly, FloatVector.broadcast(S, 1f));
        IntVector bits =
                ((IntVector) r.reinterpretAsInts())
                        .sub(MAGIC_BITS - 127)
                        .lanewise(VectorOperators.LSHL, 23);
        return poly.mul(bits.reinterpretAsFloats());
    }

    /** PyTorch softplus (threshold 20) with the Vector API's exp and log1p. */
    static FloatVector softplus(FloatVector x) {
        VectorMask<Float> big = x.compare(VectorOperators.GT, 20f);
        FloatVector sp = x.min(20f).lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P);
        return sp.blend(x, big);
    }
}
