package dev.vmamba.kernels.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vmamba.core.scan.ScanInputs;
import dev.vmamba.core.scan.ScanOutput;
import dev.vmamba.kernels.ChunkStates;
import dev.vmamba.kernels.CudaKernels;
import dev.vmamba.kernels.CudaSelectiveScan;
import dev.vmamba.kernels.GpuTimer;
import dev.vmamba.kernels.LaunchConfig;
import dev.vmamba.kernels.LaunchConfigs;
import dev.vmamba.kernels.ScanLayout;
import dev.vmamba.kernels.ScanOp;
import dev.vmamba.kernels.ScanShape;
import dev.vmamba.kernels.ScanTuning;
import dev.vmamba.kernels.SelectiveScanKernels;
import java.util.List;
import java.util.Locale;

/**
 * A small driver for kernel profiling (e.g. under Nsight Compute): runs one operation at one
 * benchmark shape with a fixed launch configuration a few times, or times every candidate
 * configuration of the shape ({@code --sweep}). {@code --op trn} times the training pair (the
 * forward saving the backward's chunk states, then the backward from them) with every backward
 * candidate, the forward given by {@code --config} or the heuristic one.
 *
 * <p>{@code --b2b N} makes the sweep time N calls back to back per sample (the GPU time of a call
 * where it exceeds the host's) instead of single calls, which at small shapes are mostly host time.
 *
 * <pre>
 * ScanProfile --shape v0s1|v0s3|v2v1|v2v3|bs1|v2v1b1 --op fwd|bwd|trn
 *             [--config rt,nrows,nt,chunk,span[,warp]]
 *             [--iters N] [--sweep] [--b2b N]
 * </pre>
 */
public final class ScanProfile {

    /** The candidates are those of an H100: its multiprocessors and shared memory per block. */
    private static final int H100_SMS = 132;

    private static final int H100_SHARED = 227 * 1024;

    private ScanProfile() {}

    /**
     * Runs the driver.
     *
     * @param args see the class comment
     */
    public static void main(String[] args) {
        String shape = "v0s1";
        String op = "fwd";
        String config = null;
        int iters = 3;
        boolean sweep = false;
        int backToBack = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--shape":
                    shape = args[++i];
                    break;
                case "--op":
                    op = args[++i];
                    break;
                case "--config":
                    config = args[++i];
                    break;
                case "--iters":
                    iters = Integer.parseInt(args[++i]);
                    break;
                case "--sweep":
                    sweep = true;
                    break;
                case "--b2b":
                    backToBack = Integer.parseInt(args[++i]);
                    break;
                default:
                    System.out.println(
                            "ScanProfile --shape v0s1|v0s3|v2v1|v2v3|bs1|v2v1b1 --op fwd|bwd|trn"
                                    + " [--config rt,nrows,nt,chunk,span[,warp]] [--iters N]"
                                    + " [--sweep] [--b2b N]");
                    return;
            }
        }
        int[] s = shapeOf(shape);
        Device gpu = Device.gpu();
        ScanOp scanOp = op.equals("bwd") ? ScanOp.BACKWARD : ScanOp.FORWARD;
        try (NDManager m = NDManager.newBaseManager(gpu);
                GpuTimer timer = new GpuTimer(gpu)) {
            int c = s[1] * s[2];
            Shape seq = new Shape(s[0], c, s[4]);
            ScanInputs in =
                    new ScanInputs(
                            m.randomNormal(seq),
                            m.randomNormal(0f, 0.5f, seq, DataType.FLOAT32),
                            m.randomUniform(0f, 1f, new Shape(c, s[3])).add(0.5f).neg(),
                            m.randomNormal(new Shape(s[0], s[1], s[3], s[4])),
                            m.randomNormal(new Shape(s[0], s[1], s[3], s[4])),
                            m.randomNormal(new Shape(c)),
                            m.randomNormal(0f, 0.1f, new Shape(c), DataType.FLOAT32),
                            true);
            NDArray dy = m.randomNormal(seq);
            if (op.equals("trn")) {
                trainingSweep(
                        in,
                        dy,
                        new ScanShape(s[0], c, s[1], s[3], s[4]),
                        timer,
                        config,
                        backToBack);
                return;
            }
            if (sweep) {
                ScanShape ss = new ScanShape(s[0], c, s[1], s[3], s[4]);
                List<LaunchConfig> cands =
                        LaunchConfigs.candidates(
                                scanOp, ss, ScanTuning.AUTO, H100_SMS, H100_SHARED);
                for (LaunchConfig cfg : cands) {
                    try {
                        double ms = timeCalls(timer, backToBack, () -> run(scanOp, in, dy, cfg));
                        System.out.printf(Locale.ROOT, "%8.4f ms  %s%n", ms, cfg);
                    } catch (IllegalArgumentException e) {
                        System.out.printf(Locale.ROOT, "   n/a     %s: %s%n", cfg, e.getMessage());
                    }
                }
                return;
            }
            CudaSelectiveScan scan =
                    new CudaSelectiveScan(
                            config == null ? ScanTuning.AUTO : ScanTuning.fixed(parse(config)));
            double[] times = new double[iters];
            for (int i = 0; i < iters; i++) {
                times[i] =
                        timer.time(
                                () -> {
                                    if (scanOp == ScanOp.BACKWARD) {
                                        scan.backward(in, dy).close();
                                    } else {
                                        scan.forward(in, false).y().close();
                                    }
                                });
                System.out.printf(Locale.ROOT, "%s %s: %.4f ms%n", shape, op, times[i]);
            }
            System.out.printf(
                    Locale.ROOT,
                    "%s %s median of the last %d: %.4f ms%n",
                    shape,
                    op,
                    Math.max(1, iters - 1),
                    GpuTimer.median(
                            java.util.Arrays.copyOfRange(times, Math.min(1, iters - 1), iters)));
            System.out.println(
                    "config: "
                            + scan.configFor(scanOp, in, DataType.FLOAT32)
                            + " on "
                            + CudaKernels.deviceName(0));
        }
    }

    /**
     * The training pair with every backward candidate: the forward (the given configuration, or the
     * heuristic one) saving that backward's chunk states, then the backward from them, each timed
     * as {@link #timeCalls} does.
     */
    private static void trainingSweep(
            ScanInputs in,
            NDArray dy,
            ScanShape ss,
            GpuTimer timer,
            String forward,
            int backToBack) {
        LaunchConfig fwd =
                forward != null
                        ? parse(forward)
                        : LaunchConfigs.heuristic(
                                ScanOp.FORWARD, ss, ScanTuning.AUTO, H100_SMS, H100_SHARED);
        System.out.println("forward " + fwd);
        for (LaunchConfig bwd :
                LaunchConfigs.candidates(
                        ScanOp.BACKWARD, ss, ScanTuning.AUTO, H100_SMS, H100_SHARED)) {
            if (!SelectiveScanKernels.canSave(fwd, bwd)) {
                System.out.printf(Locale.ROOT, "   n/a     %s: cannot save%n", bwd);
                continue;
            }
            try {
                double f =
                        timeCalls(
                                timer,
                                backToBack,
                                () ->
                                        SelectiveScanKernels.forward(
                                                        in, false, DataType.FLOAT32, fwd, bwd)
                                                .close());
                ScanOutput saved =
                        SelectiveScanKernels.forward(in, false, DataType.FLOAT32, fwd, bwd);
                NDArray states = ((ChunkStates) saved.residuals()).states();
                double b =
                        timeCalls(
                                timer,
                                backToBack,
                                () -> SelectiveScanKernels.backward(in, dy, bwd, states).close());
                saved.close();
                System.out.printf(
                        Locale.ROOT, "%8.4f ms  fwd %8.4f  bwd %8.4f  %s%n", f + b, f, b, bwd);
            } catch (IllegalArgumentException e) {
                System.out.printf(Locale.ROOT, "   n/a     %s: %s%n", bwd, e.getMessage());
            }
        }
    }

    /**
     * Median milliseconds of one call: of single calls (3 after a warm-up), or with {@code
     * backToBack} > 0 of that many calls timed together (5 samples after a warm-up), divided.
     */
    private static double timeCalls(GpuTimer timer, int backToBack, Runnable call) {
        if (backToBack <= 0) {
            return timer.median(1, 3, call);
        }
        return timer.median(
                        1,
                        5,
                        () -> {
                            for (int k = 0; k < backToBack; k++) {
                                call.run();
                            }
                        })
                / backToBack;
    }

    private static void run(ScanOp op, ScanInputs in, NDArray dy, LaunchConfig cfg) {
        if (op == ScanOp.BACKWARD) {
            SelectiveScanKernels.backward(in, dy, cfg).close();
        } else {
            SelectiveScanKernels.forward(in, false, DataType.FLOAT32, cfg).y().close();
        }
    }

    /** {@code rt,nrows,nt,chunk,span[,warp]}: the last field selects the warp-per-row layout. */
    private static LaunchConfig parse(String s) {
        String[] f = s.split(",");
        return new LaunchConfig(
                Integer.parseInt(f[0]),
                Integer.parseInt(f[1]),
                Integer.parseInt(f[2]),
                Integer.parseInt(f[3]),
                Integer.parseInt(f[4]),
                f.length > 5 && f[5].startsWith("w")
                        ? ScanLayout.WARP_PER_ROW
                        : ScanLayout.THREAD_PER_ROW);
    }

    /** (Bt, K, D, N, L) of the named benchmark shapes. */
    private static int[] shapeOf(String name) {
        switch (name) {
            case "v0s1":
                return new int[] {128, 4, 192, 16, 3136};
            case "v0s3":
                return new int[] {128, 4, 768, 16, 196};
            case "v2v1":
                return new int[] {128, 4, 96, 1, 3136};
            case "v2v3":
                return new int[] {128, 4, 384, 1, 196};
            case "bs1":
                return new int[] {1, 4, 192, 16, 3136};
            case "v2v1b1":
                return new int[] {1, 4, 96, 1, 3136};
            default:
                throw new IllegalArgumentException("unknown shape " + name);
        }
    }
}
