package dev.vmamba.core.scan;

/**
 * The portable Java scan: one channel at a time, the sequence in chunks of {@value #CHUNK} steps,
 * and within a chunk one state at a time so that the state, its decay rate and the running output
 * stay in registers. Used when the Vector API is absent and for channels left over by the vector
 * kernel.
 */
final class ScalarScanKernel implements ScanKernel {

    static final int CHUNK = 64;

    @Override
    public int lanes() {
        return 1;
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void run(ScanProblem p, int bIndex, int c0, int width) {
        float[] dt = new float[CHUNK];
        float[] du = new float[CHUNK];
        float[] yc = new float[CHUNK];
        float[] h = new float[p.dState];
        int group = c0 / p.perGroup;
        for (int ch = c0; ch < c0 + width; ch++) {
            java.util.Arrays.fill(h, 0f);
            int row = p.rowOffset(bIndex, ch);
            float bias = p.bias == null ? 0f : p.bias[ch];
            float dSkip = p.d == null ? 0f : p.d[ch];
            for (int t0 = 0; t0 < p.length; t0 += CHUNK) {
                int len = Math.min(CHUNK, p.length - t0);
                for (int t = 0; t < len; t++) {
                    float x = p.delta.get(row + t0 + t) + bias;
                    float step = p.softplus ? FastMath.softplus(x) : x;
                    float uv = p.u.get(row + t0 + t);
                    dt[t] = step;
                    du[t] = step * uv;
                    yc[t] = dSkip * uv;
                }
                for (int n = 0; n < p.dState; n++) {
                    float an = p.a[ch * p.dState + n];
                    int pr = p.projectionOffset(bIndex, group, n) + t0;
                    float hn = h[n];
                    for (int t = 0; t < len; t++) {
                        hn = Math.fma(FastMath.exp(dt[t] * an), hn, du[t] * p.b[pr + t]);
                        yc[t] = Math.fma(p.c[pr + t], hn, yc[t]);
                    }
                    h[n] = hn;
                }
                for (int t = 0; t < len; t++) {
                    p.y.put(row + t0 + t, yc[t]);
                }
            }
            if (p.lastState != null) {
                System.arraycopy(
                        h, 0, p.lastState, (bIndex * p.channels + ch) * p.dState, p.dState);
            }
        }
    }
}
