package dev.vmamba.core.scan;

/**
 * The analytic backward of the selective scan (spec §5.3) in plain Java, one channel row at a time:
 * the forward recurrence is recomputed with every state kept (N·L floats per row), then the adjoint
 * state λ runs backwards in time. Per-group sums ({@code dB}, {@code dC}) and per-channel sums over
 * the batch ({@code dA}, {@code dD}, {@code dDeltaBias}) are accumulated in double per work item
 * and merged under a lock.
 */
final class ScalarScanBackward {

    private ScalarScanBackward() {}

    /** Gradient buffers of one problem, all zero-initialised. */
    static final class Grads {
        final float[] du;
        final float[] dDelta;
        final double[] dA;
        final double[] dB;
        final double[] dC;
        final double[] dD;
        final double[] dBias;

        Grads(ScanProblem p) {
            int rows = p.batch * p.channels * p.length;
            du = new float[rows];
            dDelta = new float[rows];
            dA = new double[p.channels * p.dState];
            dB = new double[p.batch * p.groups * p.dState * p.length];
            dC = new double[dB.length];
            dD = new double[p.channels];
            dBias = new double[p.channels];
        }
    }

    /**
     * Gradients for channels {@code [c0, c0 + width)} of batch row {@code bIndex}.
     *
     * @param p the problem (forward inputs)
     * @param dy upstream gradient, same layout as y
     * @param g where the gradients go
     */
    static void run(ScanProblem p, float[] dy, Grads g, int bIndex, int c0, int width) {
        int n = p.dState;
        int len = p.length;
        int group = c0 / p.perGroup;
        float[] dt = new float[len];
        float[] h = new float[n * len]; // h[s * len + t]
        double[] dA = new double[n];
        double[] dB = new double[n * len];
        double[] dC = new double[n * len];
        double[] lam = new double[n];
        double[] dDt = new double[len];
        for (int ch = c0; ch < c0 + width; ch++) {
            int row = p.rowOffset(bIndex, ch);
            float bias = p.bias == null ? 0f : p.bias[ch];
            float dSkip = p.d == null ? 0f : p.d[ch];
            for (int t = 0; t < len; t++) {
                float x = p.delta.get(row + t) + bias;
                dt[t] = p.softplus ? FastMath.softplus(x) : x;
            }
            // forward states
            for (int s = 0; s < n; s++) {
                float a = p.a[ch * n + s];
                int pr = p.projectionOffset(bIndex, group, s);
                float hs = 0f;
                for (int t = 0; t < len; t++) {
                    hs = (float) Math.exp(dt[t] * a) * hs + dt[t] * p.u.get(row + t) * p.b[pr + t];
                    h[s * len + t] = hs;
                }
            }
            java.util.Arrays.fill(dDt, 0);
            double dDsum = 0;
            for (int t = 0; t < len; t++) {
                float gt = dy[row + t];
                float ut = p.u.get(row + t);
                dDsum += (double) gt * ut;
                g.du[row + t] = dSkip * gt;
            }
            // reverse scan per state
            java.util.Arrays.fill(lam, 0);
            for (int s = 0; s < n; s++) {
                double a = p.a[ch * n + s];
                int pr = p.projectionOffset(bIndex, group, s);
                double l = 0;
                double aNext = 0;
                double dAs = 0;
                for (int t = len - 1; t >= 0; t--) {
                    double at = Math.exp(dt[t] * a);
                    l = l * aNext + (double) dy[row + t] * p.c[pr + t];
                    double hPrev = t > 0 ? h[s * len + t - 1] : 0.0;
                    double ut = p.u.get(row + t);
                    double bt = p.b[pr + t];
                    dC[s * len + t] += (double) dy[row + t] * h[s * len + t];
                    dB[s * len + t] += l * dt[t] * ut;
                    g.du[row + t] += (float) (l * bt * dt[t]);
                    dDt[t] += l * (bt * ut + a * at * hPrev);
                    dAs += l * dt[t] * at * hPrev;
                    aNext = at;
                }
                dA[s] = dAs;
            }
            double dBiasSum = 0;
            for (int t = 0; t < len; t++) {
                double grad = dDt[t];
                if (p.softplus) {
                    double x = p.delta.get(row + t) + bias;
                    grad = x > 20 ? grad : grad / (1 + Math.exp(-x));
                }
                g.dDelta[row + t] = (float) grad;
                dBiasSum += grad;
            }
            synchronized (g) {
                for (int s = 0; s < n; s++) {
                    g.dA[ch * n + s] += dA[s];
                }
                g.dD[ch] += dDsum;
                g.dBias[ch] += dBiasSum;
            }
        }
        synchronized (g) {
            for (int s = 0; s < n; s++) {
                int pr = p.projectionOffset(bIndex, group, s);
                for (int t = 0; t < len; t++) {
                    g.dB[pr + t] += dB[s * len + t];
                    g.dC[pr + t] += dC[s * len + t];
                }
            }
        }
    }
}
