package dev.vmamba.core.scan;

/**
 * One selective scan laid out in flat float arrays for the Java kernels (row-major copies of the
 * {@link ScanInputs} tensors). Kernels write {@link #y} and, when requested, {@link #lastState}.
 */
final class ScanProblem {
    final int batch;
    final int channels;
    final int length;
    final int dState;
    final int groups;
    final int perGroup;
    final float[] u;
    final float[] delta;
    final float[] a;
    final float[] b;
    final float[] c;
    final float[] d;
    final float[] bias;
    final boolean softplus;
    final float[] y;
    final float[] lastState;

    ScanProblem(
            int batch,
            int channels,
            int length,
            int dState,
            int groups,
            float[] u,
            float[] delta,
            float[] a,
            float[] b,
            float[] c,
            float[] d,
            float[] bias,
            boolean softplus,
            boolean wantLastState) {
        this.batch = batch;
        this.channels = channels;
        this.length = length;
        this.dState = dState;
        this.groups = groups;
        this.perGroup = channels / groups;
        this.u = u;
        this.delta = delta;
        this.a = a;
        this.b = b;
        this.c = c;
        this.d = d;
        this.bias = bias;
        this.softplus = softplus;
        this.y = new float[u.length];
        this.lastState = wantLastState ? new float[batch * channels * dState] : null;
    }

    /** Offset of row {@code (b, channel)} in u, delta and y. */
    int rowOffset(int bIndex, int channel) {
        return (bIndex * channels + channel) * length;
    }

    /** Offset of row {@code (b, group, n)} in B and C. */
    int projectionOffset(int bIndex, int group, int n) {
        return ((bIndex * groups + group) * dState + n) * length;
    }
}
