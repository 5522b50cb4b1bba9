package dev.vmamba.core.scan;

import java.nio.FloatBuffer;

/**
 * One selective scan laid out flat for the Java kernels. The large sequences ({@link #u}, {@link
 * #delta} and the output {@link #y}) are views of the tensors' own memory (no copies); the small
 * per-channel and per-group arrays are float-array copies. Kernels write {@link #y} and, when
 * requested, {@link #lastState}.
 */
final class ScanProblem {
    final int batch;
    final int channels;
    final int length;
    final int dState;
    final int groups;
    final int perGroup;
    final FloatBuffer u;
    final FloatBuffer delta;
    final float[] a;
    final float[] b;
    final float[] c;
    final float[] d;
    final float[] bias;
    final boolean softplus;
    final FloatBuffer y;
    final float[] lastState;

    ScanProblem(
            int batch,
            int channels,
            int length,
            int dState,
            int groups,
            FloatBuffer u,
            FloatBuffer delta,
            float[] a,
            float[] b,
            float[] c,
            float[] d,
            float[] bias,
            boolean softplus,
            FloatBuffer y,
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
        this.y = y;
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
