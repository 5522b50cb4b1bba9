package dev.vmamba.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vmamba.core.scan.ScanGradients;
import dev.vmamba.core.scan.ScanInputs;
import dev.vmamba.core.testing.Fixtures;
import java.util.Random;

/** Support code of the {@code gpu} tests: the skip condition, random problems, comparisons. */
final class GpuSupport {

    private GpuSupport() {}

    /**
     * The GPU to test on; skips the test (JUnit assumption) where the CUDA kernels cannot run.
     *
     * @return {@code gpu(0)}
     */
    static Device gpu() {
        assumeTrue(
                CudaKernels.isAvailable(),
                () -> "CUDA selective scan unavailable: " + CudaKernels.unavailableReason());
        Engine e = Engine.getInstance();
        assumeTrue("PyTorch".equals(e.getEngineName()), "needs DJL's PyTorch engine");
        assumeTrue(e.getGpuCount() > 0, "DJL sees no GPU");
        return Device.gpu();
    }

    /** Sizes and options of a random problem. */
    record Problem(
            int batch,
            int groups,
            int dimPerGroup,
            int dState,
            int length,
            boolean hasD,
            boolean hasBias,
            boolean softplus) {

        int channels() {
            return groups * dimPerGroup;
        }

        @Override
        public String toString() {
            return String.format(
                    "Bt=%d G=%d Dg=%d N=%d L=%d%s%s%s",
                    batch,
                    groups,
                    dimPerGroup,
                    dState,
                    length,
                    hasD ? "" : " noD",
                    hasBias ? "" : " noBias",
                    softplus ? "" : " noSoftplus");
        }
    }

    /**
     * Random scan arguments drawn on the host (reproducible), in the ranges VMamba produces:
     * positive step sizes after softplus, negative A.
     *
     * @param m owner (its device is where the arrays live)
     * @param p sizes
     * @param seed random seed
     * @return float32 inputs
     */
    static ScanInputs random(NDManager m, Problem p, long seed) {
        Random r = new Random(seed);
        int c = p.channels();
        NDArray u = normal(m, r, new Shape(p.batch(), c, p.length()), 1f, 0f);
        NDArray delta =
                normal(m, r, new Shape(p.batch(), c, p.length()), 0.5f, p.softplus() ? -1f : 0.3f);
        if (!p.softplus()) {
            delta = delta.abs();
        }
        float[] a = new float[c * p.dState()];
        for (int i = 0; i < a.length; i++) {
            a[i] = -(0.2f + 2f * r.nextFloat());
        }
        NDArray am = m.create(a, new Shape(c, p.dState()));
        NDArray b = normal(m, r, new Shape(p.batch(), p.groups(), p.dState(), p.length()), 1f, 0f);
        NDArray cc = normal(m, r, new Shape(p.batch(), p.groups(), p.dState(), p.length()), 1f, 0f);
        NDArray d = p.hasD() ? normal(m, r, new Shape(c), 1f, 0f) : null;
        NDArray bias = p.hasBias() ? normal(m, r, new Shape(c), 0.3f, 0f) : null;
        return new ScanInputs(u, delta, am, b, cc, d, bias, p.softplus());
    }

    static NDArray normal(NDManager m, Random r, Shape s, float scale, float shift) {
        float[] v = new float[Math.toIntExact(s.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian() * scale + shift;
        }
        return m.create(v, s);
    }

    /** The same arguments on another device (or with B/C/u/delta in another type). */
    static ScanInputs to(ScanInputs in, Device device, DataType itype) {
        return new ScanInputs(
                move(in.u(), device, itype),
                move(in.delta(), device, itype),
                move(in.a(), device, null),
                move(in.b(), device, itype),
                move(in.c(), device, itype),
                move(in.d(), device, null),
                move(in.deltaBias(), device, null),
                in.deltaSoftplus());
    }

    private static NDArray move(NDArray x, Device device, DataType type) {
        if (x == null) {
            return null;
        }
        NDArray y = x.toDevice(device, true);
        return type == null || type == y.getDataType() ? y : y.toType(type, false);
    }

    /**
     * {@code max|a - e| / max|e|}.
     *
     * @param a actual
     * @param e expected
     * @return the relative error
     */
    static double relError(NDArray a, NDArray e) {
        float[] x = a.toType(DataType.FLOAT32, false).toDevice(Device.cpu(), false).toFloatArray();
        float[] y = e.toType(DataType.FLOAT32, false).toDevice(Device.cpu(), false).toFloatArray();
        double err = 0;
        double ref = 0;
        for (int i = 0; i < x.length; i++) {
            double d = Math.abs((double) x[i] - y[i]);
            if (!(d <= err)) {
                err = d; // NaN propagates
            }
            ref = Math.max(ref, Math.abs(y[i]));
        }
        return ref == 0 ? err : err / ref;
    }

    /** The manifest rule with explicit tolerances (atol 1e-6). */
    static void assertClose(String what, NDArray actual, NDArray expected, double rtol) {
        Fixtures.assertClose(what, actual, expected, 1e-6, rtol);
    }

    /** Compares every gradient of two backward results. */
    static void assertGradients(String what, ScanGradients a, ScanGradients e, double rtol) {
        assertClose(what + " du", a.du(), e.du(), rtol);
        assertClose(what + " ddelta", a.dDelta(), e.dDelta(), rtol);
        assertClose(what + " dA", a.dA(), e.dA(), rtol);
        assertClose(what + " dB", a.dB(), e.dB(), rtol);
        assertClose(what + " dC", a.dC(), e.dC(), rtol);
        if (e.dD() != null) {
            assertClose(what + " dD", a.dD(), e.dD(), rtol);
        }
        if (e.dDeltaBias() != null) {
            assertClose(what + " ddelta_bias", a.dDeltaBias(), e.dDeltaBias(), rtol);
        }
    }
}
