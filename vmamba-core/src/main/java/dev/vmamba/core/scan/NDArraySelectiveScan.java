package dev.vmamba.core.scan;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;

/**
 * The reference selective scan written in NDArray operations: the sequential recurrence of spec
 * §5.2, step by step, on any engine and device. Every operation is recorded by DJL's autograd, so
 * this backend is the one to train with on CPU and the twin the fast kernels are tested against.
 *
 * <p>It mirrors the official {@code selective_scan_torch}: the discretised {@code exp(Δ·A)} and
 * {@code Δ·u·B} are materialised for a chunk of {@value #CHUNK} steps at a time (bounding memory at
 * {@code Bt·C·chunk·N} floats), the chunk is split into per-step views in one call, and each step
 * costs two element-wise operations on the {@code (Bt, C, 1, N)} state. Temporaries of a chunk are
 * released when the chunk ends (autograd keeps what it needs on the engine side).
 */
public final class NDArraySelectiveScan implements SelectiveScan {

    /** Steps materialised at once. */
    static final int CHUNK = 128;

    @Override
    public ScanBackend backend() {
        return ScanBackend.NDARRAY;
    }

    @Override
    public boolean supports(Device device) {
        return true;
    }

    @Override
    public ScanOutput forward(ScanInputs in, boolean returnLastState) {
        NDArray y;
        NDArray h;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray[] out = run(in);
            y = out[0];
            h = out[1];
            NDScope.unregister(y, h);
        }
        if (!returnLastState) {
            h.close();
            return new ScanOutput(y, null);
        }
        return new ScanOutput(y, h.squeeze(2));
    }

    /**
     * Gradients of {@code Σ y·dy} by DJL autograd through this scan: the twin that analytic
     * backwards (Java, CUDA) are tested and timed against. Runs its own gradient collector, so it
     * must not be called while another one is active.
     */
    @Override
    public ScanGradients backward(ScanInputs in, NDArray dy) {
        NDManager owner = in.u().getManager();
        NDArray[] args = {in.u(), in.delta(), in.a(), in.b(), in.c(), in.d(), in.deltaBias()};
        NDArray[] grads = new NDArray[args.length];
        try (NDManager tape = owner.newSubManager()) {
            NDArray[] vars = new NDArray[args.length];
            for (int i = 0; i < args.length; i++) {
                if (args[i] != null) {
                    vars[i] = args[i].duplicate();
                    vars[i].attach(tape);
                    vars[i].setRequiresGradient(true);
                }
            }
            ScanInputs v =
                    new ScanInputs(
                            vars[0],
                            vars[1],
                            vars[2],
                            vars[3],
                            vars[4],
                            vars[5],
                            vars[6],
                            in.deltaSoftplus());
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(forward(v, false).y().mul(dy).sum());
            }
            for (int i = 0; i < args.length; i++) {
                if (vars[i] != null) {
                    grads[i] = vars[i].getGradient().duplicate();
                    grads[i].attach(owner);
                }
            }
        }
        return new ScanGradients(
                grads[0], grads[1], grads[2], grads[3], grads[4], grads[5], grads[6]);
    }

    private static NDArray[] run(ScanInputs in) {
        int bt = in.batch();
        int ch = in.channels();
        int len = in.length();
        int n = in.dState();

        NDArray u = in.u().toType(DataType.FLOAT32, false);
        NDArray dt = in.delta().toType(DataType.FLOAT32, false);
        if (in.deltaBias() != null) {
            dt = dt.add(in.deltaBias().reshape(1, ch, 1));
        }
        if (in.deltaSoftplus()) {
            // torch.nn.functional.softplus: beta 1, threshold 20 (identity above), as the kernels
            dt = Activation.softPlus(dt);
        }
        NDArray bx = expandGroups(in.b(), in); // (Bt, C, L, N)
        NDArray cx = expandGroups(in.c(), in);
        NDArray a = in.a().reshape(1, ch, 1, n);
        NDArray dtx = dt.expandDims(3); // (Bt, C, L, 1)
        NDArray dtu = dt.mul(u).expandDims(3);

        NDArray h = u.getManager().zeros(new Shape(bt, ch, 1, n), DataType.FLOAT32, u.getDevice());
        NDList yChunks = new NDList();
        for (int t0 = 0; t0 < len; t0 += CHUNK) {
            int t1 = Math.min(len, t0 + CHUNK);
            try (NDScope chunkScope = new NDScope()) {
                chunkScope.suppressNotUsedWarning();
                String range = ":, :, " + t0 + ":" + t1;
                NDList decay = dtx.get(range).mul(a).exp().split(t1 - t0, 2); // (Bt, C, 1, N) each
                NDList drive = dtu.get(range).mul(bx.get(range)).split(t1 - t0, 2);
                NDList states = new NDList(t1 - t0);
                for (int t = 0; t < t1 - t0; t++) {
                    h = decay.get(t).mul(h).add(drive.get(t));
                    states.add(h);
                }
                NDArray hs = concat(states, 2); // (Bt, C, T, N)
                NDArray yc = hs.mul(cx.get(range)).sum(new int[] {3}); // (Bt, C, T)
                NDScope.unregister(yc, h);
                yChunks.add(yc);
            }
        }
        NDArray y = concat(yChunks, 2);
        if (in.d() != null) {
            y = y.add(u.mul(in.d().reshape(1, ch, 1)));
        }
        return new NDArray[] {y, h};
    }

    private static NDArray concat(NDList parts, int axis) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        return NDArrays.concat(parts, axis);
    }

    /** {@code (Bt, G, N, L)} to {@code (Bt, C, L, N)}: channel c reads group c / (C/G). */
    private static NDArray expandGroups(NDArray m, ScanInputs in) {
        int perGroup = in.channelsPerGroup();
        NDArray x =
                m.toType(DataType.FLOAT32, false)
                        .reshape(in.batch(), in.groups(), 1, in.dState(), in.length());
        if (perGroup > 1) {
            x = x.repeat(2, perGroup);
        }
        return x.reshape(in.batch(), in.channels(), in.dState(), in.length()).transpose(0, 1, 3, 2);
    }

    @Override
    public String toString() {
        return "NDArraySelectiveScan(chunk=" + CHUNK + ")";
    }
}
