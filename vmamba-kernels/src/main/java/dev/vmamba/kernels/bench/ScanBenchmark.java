package dev.vmamba.kernels.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vmamba.core.scan.CrossScanInputs;
import dev.vmamba.core.scan.NDArraySelectiveScan;
import dev.vmamba.core.scan.ScanGradients;
import dev.vmamba.core.scan.ScanInputs;
import dev.vmamba.core.scan.ScanMode;
import dev.vmamba.core.scan.ScanOutput;
import dev.vmamba.kernels.CudaKernels;
import dev.vmamba.kernels.CudaSelectiveScan;
import dev.vmamba.kernels.GpuTimer;
import dev.vmamba.kernels.LaunchConfig;
import dev.vmamba.kernels.ScanOp;
import dev.vmamba.kernels.ScanTuning;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Times the CUDA selective scan at VMamba shapes: forward and backward medians of CUDA-event
 * timings after warm-up, rotating over several input sets (the inputs exceed L2 at batch 128, not
 * at batch 1), the training pair (forward saving the backward's chunk states, backward from them),
 * achieved bandwidth and the fraction of the memory-traffic floor, the NDArray backend on the same
 * GPU and the fused cross-scan against the unfused SS2D core (both left out with {@code
 * --cuda-only}), and -- given the official kernels' timings from the same machine (a JSON list of
 * rows with {@code shape}, {@code fwd_ms}, {@code bwd_ms}; the fastest row of a shape is used) --
 * the speed-up over them. Inputs are drawn as the official benchmark draws them.
 *
 * <p>Before any shape is timed, the Java call path is warmed up: {@code --host-warmup} calls of the
 * forward, the backward and the training pair on small shapes that take the single-launch and the
 * span-split plans (default 2000 each). A long-running application reaches that state after a few
 * thousand scans, when the JIT has compiled the validation, allocation and launch code; before it,
 * that code is interpreted and adds 0.03 – 0.4 ms to a call. {@code --host-warmup 0} measures the
 * interpreted path.
 *
 * <pre>
 * ScanBenchmark [--quick] [--cuda-only] [--iters N] [--warmup N] [--host-warmup N] [--sets N]
 *     [--official FILE] [--json FILE]
 * </pre>
 */
public final class ScanBenchmark {

    private static final double NOMINAL_BANDWIDTH = 3.0e12;

    /** A benchmark shape; names match the official benchmark's rows. */
    record Case(String name, int batch, int k, int dim, int dState, int length) {
        int channels() {
            return k * dim;
        }

        long seq() {
            return (long) batch * channels() * length;
        }

        long proj() {
            return (long) batch * k * dState * length;
        }

        /** Bytes a forward must move: u, delta, B, C read once, y written once. */
        double forwardBytes() {
            return 4.0 * (3 * seq() + 2 * proj());
        }

        /** Bytes a backward must move: u, delta, dy, B, C read; du, ddelta, dB, dC written. */
        double backwardBytes() {
            return 4.0 * (5 * seq() + 4 * proj());
        }
    }

    private final int iters;
    private final int warmup;
    private final int sets;
    private final int hostWarmup;
    private final boolean cudaOnly;
    private final Device gpu;
    private final PrintStream out = System.out;

    private ScanBenchmark(int iters, int warmup, int hostWarmup, int sets, boolean cudaOnly) {
        this.cudaOnly = cudaOnly;
        this.hostWarmup = hostWarmup;
        this.iters = iters;
        this.warmup = warmup;
        this.sets = sets;
        this.gpu = Device.gpu();
    }

    /**
     * Runs the benchmark.
     *
     * @param args see the class comment
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        int iters = 30;
        int warmup = 5;
        int hostWarmup = 2000;
        int sets = 3;
        boolean quick = false;
        boolean cudaOnly = false;
        Path official = null;
        Path json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help":
                case "-h":
                    System.out.println(
                            "ScanBenchmark [--quick] [--cuda-only] [--iters N] [--warmup N]"
                                    + " [--host-warmup N] [--sets N] [--official OFFICIAL.json]"
                                    + " [--json OUT]");
                    return;
                case "--quick":
                    quick = true;
                    break;
                case "--cuda-only":
                    cudaOnly = true;
                    break;
                case "--iters":
                    iters = Integer.parseInt(args[++i]);
                    break;
                case "--warmup":
                    warmup = Integer.parseInt(args[++i]);
                    break;
                case "--host-warmup":
                    hostWarmup = Integer.parseInt(args[++i]);
                    break;
                case "--sets":
                    sets = Integer.parseInt(args[++i]);
                    break;
                case "--official":
                    official = Path.of(args[++i]);
                    break;
                case "--json":
                    json = Path.of(args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (!CudaKernels.isAvailable()) {
            throw new IllegalStateException(
                    "CUDA kernels unavailable: " + CudaKernels.unavailableReason());
        }
        new ScanBenchmark(iters, warmup, hostWarmup, sets, cudaOnly).run(quick, official, json);
    }

    private void run(boolean quick, Path officialFile, Path jsonFile) throws IOException {
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("v0-T stage1 bs128", 128, 4, 192, 16, 56 * 56));
        cases.add(new Case("v0-T stage3 bs128", 128, 4, 768, 16, 14 * 14));
        cases.add(new Case("v2v-T stage1 bs128 (N=1)", 128, 4, 96, 1, 56 * 56));
        cases.add(new Case("v2v-T stage3 bs128 (N=1)", 128, 4, 384, 1, 14 * 14));
        cases.add(new Case("v0-T stage1 bs1", 1, 4, 192, 16, 56 * 56));
        if (quick) {
            cases = cases.subList(4, 5);
        }
        Map<String, double[]> official = officialFile == null ? Map.of() : official(officialFile);
        JsonObject report = new JsonObject();
        report.addProperty("device", deviceName());
        report.addProperty("kernels", CudaKernels.buildInfo());
        double copyBandwidth = copyBandwidth();
        report.addProperty("copy_GBps", copyBandwidth / 1e9);
        out.printf(Locale.ROOT, "device: %s; kernels: %s%n", deviceName(), CudaKernels.buildInfo());
        out.printf(
                Locale.ROOT,
                "device-to-device copy: %.0f GB/s (read + write); floors below at %.1f TB/s%n",
                copyBandwidth / 1e9,
                NOMINAL_BANDWIDTH / 1e12);
        report.addProperty("host_warmup_calls", hostWarmup);
        warmHostPath();
        JsonArray rows = new JsonArray();
        for (Case c : cases) {
            rows.add(measure(c, official.get(c.name())));
        }
        report.add("scan", rows);
        if (!quick && !cudaOnly) {
            report.add(
                    "cross_scan",
                    crossScan(new Case("v0-T stage1 bs128", 128, 4, 192, 16, 3136), 56, 56));
        }
        printTable(rows);
        if (jsonFile != null) {
            Gson gson = new GsonBuilder().setPrettyPrinting().create();
            Files.writeString(jsonFile, gson.toJson(report), StandardCharsets.UTF_8);
        }
    }

    /**
     * Runs the Java call path {@link #hostWarmup} times on small shapes, so that the JIT has
     * compiled it before anything is timed: the single-launch plan (thread per row, and warp per
     * row for N = 1) and the span-split plan of a long sequence with few rows.
     */
    private void warmHostPath() {
        if (hostWarmup <= 0) {
            return;
        }
        long t0 = System.nanoTime();
        List<Case> small =
                List.of(
                        new Case("single", 2, 4, 8, 16, 64),
                        new Case("spans", 1, 4, 16, 16, 3136),
                        new Case("N=1", 2, 4, 8, 1, 256));
        CudaSelectiveScan scan = new CudaSelectiveScan(ScanTuning.AUTO);
        try (NDManager m = NDManager.newBaseManager(gpu)) {
            for (Case c : small) {
                ScanInputs in = draw(m, c, c.batch());
                NDArray dy = m.randomNormal(new Shape(c.batch(), c.channels(), c.length()));
                for (int i = 0; i < hostWarmup; i++) {
                    scan.forward(in, false).y().close();
                    scan.backward(in, dy).close();
                    try (ScanOutput o = scan.forwardForBackward(in, false)) {
                        scan.backward(in, dy, o).close();
                    }
                }
            }
        }
        out.printf(
                Locale.ROOT,
                "host path warmed up: %d calls of each operation on %d small shapes, %.1f s%n",
                hostWarmup,
                small.size(),
                (System.nanoTime() - t0) / 1e9);
    }

    private JsonObject measure(Case c, double[] officialMs) {
        out.printf(
                Locale.ROOT,
                "%n== %s: (Bt, K*D, N, L) = (%d, %d, %d, %d)%n",
                c.name(),
                c.batch(),
                c.channels(),
                c.dState(),
                c.length());
        JsonObject row = new JsonObject();
        row.addProperty("shape", c.name());
        row.addProperty("batch", c.batch());
        row.addProperty("channels", c.channels());
        row.addProperty("d_state", c.dState());
        row.addProperty("length", c.length());
        CudaSelectiveScan scan = new CudaSelectiveScan(ScanTuning.AUTO);
        try (NDManager m = NDManager.newBaseManager(gpu);
                GpuTimer timer = new GpuTimer(gpu)) {
            List<ScanInputs> inputs = new ArrayList<>();
            List<NDArray> dys = new ArrayList<>();
            for (int s = 0; s < sets; s++) {
                inputs.add(draw(m, c, c.batch()));
                dys.add(m.randomNormal(new Shape(c.batch(), c.channels(), c.length())));
            }
            // warm-up (the first call of a shape autotunes)
            for (int i = 0; i < warmup; i++) {
                scan.forward(inputs.get(i % sets), false).y().close();
                scan.backward(inputs.get(i % sets), dys.get(i % sets)).close();
            }
            double[] fwd = new double[iters];
            for (int i = 0; i < iters; i++) {
                ScanInputs in = inputs.get(i % sets);
                NDArray[] y = new NDArray[1];
                fwd[i] = timer.time(() -> y[0] = scan.forward(in, false).y());
                y[0].close();
            }
            int bwdIters = Math.max(3, iters / 2);
            double[] bwd = new double[bwdIters];
            for (int i = 0; i < bwdIters; i++) {
                ScanInputs in = inputs.get(i % sets);
                NDArray dy = dys.get(i % sets);
                ScanGradients[] g = new ScanGradients[1];
                bwd[i] = timer.time(() -> g[0] = scan.backward(in, dy));
                g[0].close();
            }
            double fwdMs = GpuTimer.median(fwd);
            double bwdMs = GpuTimer.median(bwd);
            training(scan, inputs, dys, bwdIters, timer, row);
            // back to back: the GPU time per call once launches queue ahead of the GPU, and the
            // host time of a call (validation, pointers, allocation, launches)
            int batch = 20;
            double[] piped = new double[3];
            double[] host = new double[3];
            for (int r = 0; r < piped.length; r++) {
                NDArray[] ys = new NDArray[batch];
                long[] ns = new long[1];
                piped[r] =
                        timer.time(
                                        () -> {
                                            long t0 = System.nanoTime();
                                            for (int i = 0; i < batch; i++) {
                                                ys[i] =
                                                        scan.forward(inputs.get(i % sets), false)
                                                                .y();
                                            }
                                            ns[0] = System.nanoTime() - t0;
                                        })
                                / batch;
                host[r] = ns[0] / 1e6 / batch;
                for (NDArray y : ys) {
                    y.close();
                }
            }
            row.addProperty("fwd_pipelined_ms", GpuTimer.median(piped));
            row.addProperty("fwd_host_ms", GpuTimer.median(host));
            out.printf(
                    Locale.ROOT,
                    "cuda fwd back-to-back %.4f ms per call, host time %.4f ms per call%n",
                    GpuTimer.median(piped),
                    GpuTimer.median(host));
            LaunchConfig fc = scan.configFor(ScanOp.FORWARD, inputs.get(0), DataType.FLOAT32);
            LaunchConfig bc = scan.configFor(ScanOp.BACKWARD, inputs.get(0), DataType.FLOAT32);
            row.addProperty("fwd_ms", fwdMs);
            row.addProperty("bwd_ms", bwdMs);
            row.addProperty("fwd_config", fc.toString());
            row.addProperty("bwd_config", bc.toString());
            row.addProperty("fwd_GBps", c.forwardBytes() / fwdMs / 1e6);
            row.addProperty("bwd_GBps", c.backwardBytes() / bwdMs / 1e6);
            row.addProperty("fwd_floor_ms", c.forwardBytes() / NOMINAL_BANDWIDTH * 1e3);
            row.addProperty("bwd_floor_ms", c.backwardBytes() / NOMINAL_BANDWIDTH * 1e3);
            out.printf(
                    Locale.ROOT,
                    "cuda fwd %.4f ms (%s)%ncuda bwd %.4f ms (%s)%n",
                    fwdMs,
                    fc,
                    bwdMs,
                    bc);

            // NDArray backend on the same GPU; at a batch slice where the full shape would not fit
            if (!cudaOnly) {
                ndarray(c, m, row);
            }
        }
        if (officialMs != null) {
            row.addProperty("official_fwd_ms", officialMs[0]);
            row.addProperty("official_bwd_ms", officialMs[1]);
        }
        return row;
    }

    /**
     * The training pair: the forward that also saves the backward's chunk states, then the backward
     * from them (no state pass), each timed alone like the plain calls.
     */
    private void training(
            CudaSelectiveScan scan,
            List<ScanInputs> inputs,
            List<NDArray> dys,
            int iters,
            GpuTimer timer,
            JsonObject row) {
        int sets = inputs.size();
        for (int i = 0; i < 2; i++) {
            try (ScanOutput o = scan.forwardForBackward(inputs.get(i % sets), false)) {
                scan.backward(inputs.get(i % sets), dys.get(i % sets), o).close();
            }
        }
        double[] f = new double[iters];
        double[] b = new double[iters];
        boolean saves = false;
        for (int i = 0; i < iters; i++) {
            ScanInputs in = inputs.get(i % sets);
            NDArray dy = dys.get(i % sets);
            ScanOutput[] o = new ScanOutput[1];
            ScanGradients[] g = new ScanGradients[1];
            f[i] = timer.time(() -> o[0] = scan.forwardForBackward(in, false));
            b[i] = timer.time(() -> g[0] = scan.backward(in, dy, o[0]));
            saves = o[0].residuals() != null;
            g[0].close();
            o[0].close();
        }
        row.addProperty("train_fwd_ms", GpuTimer.median(f));
        row.addProperty("train_bwd_ms", GpuTimer.median(b));
        row.addProperty("train_saves_states", saves);
        out.printf(
                Locale.ROOT,
                "cuda training: fwd saving chunk states %.4f ms, bwd from them %.4f ms%s%n",
                GpuTimer.median(f),
                GpuTimer.median(b),
                saves ? "" : " (no states saved: configurations incompatible)");
    }

    private void ndarray(Case c, NDManager m, JsonObject row) {
        long fwdLimit = 2_000_000_000L; // elements of one (Bt, C, L, N) temporary
        long bwdLimit = 200_000_000L;
        long perBatch = (long) c.channels() * c.length() * c.dState();
        int fb = (int) Math.max(1, Math.min(c.batch(), fwdLimit / perBatch));
        int bb = (int) Math.max(1, Math.min(c.batch(), bwdLimit / perBatch));
        NDArraySelectiveScan ref = new NDArraySelectiveScan();
        try (NDManager sub = m.newSubManager();
                GpuTimer timer = new GpuTimer(gpu)) {
            ScanInputs in = draw(sub, c, fb);
            ref.forward(in, false).y().close();
            double[] t = new double[2];
            for (int i = 0; i < t.length; i++) {
                NDArray[] y = new NDArray[1];
                t[i] = timer.time(() -> y[0] = ref.forward(in, false).y());
                y[0].close();
            }
            double ms = GpuTimer.median(t) * c.batch() / fb;
            row.addProperty("ndarray_fwd_ms", ms);
            row.addProperty("ndarray_fwd_batch", fb);
            out.printf(
                    Locale.ROOT,
                    "ndarray fwd %.2f ms%s%n",
                    ms,
                    fb < c.batch() ? " (measured at batch " + fb + ", scaled)" : "");
        }
        try (NDManager sub = m.newSubManager();
                GpuTimer timer = new GpuTimer(gpu)) {
            ScanInputs in = draw(sub, c, bb);
            NDArray dy = sub.randomNormal(new Shape(bb, c.channels(), c.length()));
            double[] t = new double[1]; // seconds per run at the large shapes: one run
            for (int i = 0; i < t.length; i++) {
                t[i] = timer.time(() -> new NDArraySelectiveScan().backward(in, dy));
            }
            double ms = GpuTimer.median(t) * c.batch() / bb;
            row.addProperty("ndarray_fwd_bwd_ms", ms);
            row.addProperty("ndarray_bwd_batch", bb);
            out.printf(
                    Locale.ROOT,
                    "ndarray fwd+bwd (autograd) %.2f ms%s%n",
                    ms,
                    bb < c.batch() ? " (measured at batch " + bb + ", scaled)" : "");
        }
    }

    private JsonObject crossScan(Case c, int h, int w) {
        out.printf(
                Locale.ROOT,
                "%n== fused cross-scan, %s: B=%d D=%d %dx%d N=%d%n",
                c.name(),
                c.batch(),
                c.dim(),
                h,
                w,
                c.dState());
        JsonObject row = new JsonObject();
        row.addProperty("shape", c.name());
        CudaSelectiveScan fused = new CudaSelectiveScan(ScanTuning.AUTO);
        CudaSelectiveScan unfused =
                new CudaSelectiveScan(ScanTuning.AUTO.withFusedCrossScan(false));
        try (NDManager m = NDManager.newBaseManager(gpu);
                GpuTimer timer = new GpuTimer(gpu)) {
            int b = c.batch();
            int d = c.dim();
            int l = h * w;
            int n = c.dState();
            List<CrossScanInputs> inputs = new ArrayList<>();
            for (int s = 0; s < Math.min(2, sets); s++) {
                inputs.add(
                        new CrossScanInputs(
                                m.randomNormal(new Shape(b, d, h, w)),
                                m.randomNormal(0f, 0.5f, new Shape(b, 4, d, l), DataType.FLOAT32),
                                m.randomUniform(0f, 1f, new Shape(4 * d, n)).add(0.5f).neg(),
                                m.randomNormal(new Shape(b, 4, n, l)),
                                m.randomNormal(new Shape(b, 4, n, l)),
                                m.randomNormal(new Shape(4 * d)),
                                m.randomNormal(0f, 0.1f, new Shape(4 * d), DataType.FLOAT32),
                                true,
                                ScanMode.CROSS2D));
            }
            double fusedMs = timeCross(fused, inputs, timer);
            double unfusedMs = timeCross(unfused, inputs, timer);
            row.addProperty("fused_ms", fusedMs);
            row.addProperty("unfused_ms", unfusedMs);
            out.printf(
                    Locale.ROOT,
                    "fused %.3f ms, unfused (materialised directions + scan + merge) %.3f ms%n",
                    fusedMs,
                    unfusedMs);
        }
        return row;
    }

    private double timeCross(CudaSelectiveScan scan, List<CrossScanInputs> inputs, GpuTimer timer) {
        for (int i = 0; i < warmup; i++) {
            scan.crossScanMerge(inputs.get(i % inputs.size())).close();
        }
        // temporaries of the unfused path are released inside crossScanMerge
        double[] t = new double[iters];
        for (int i = 0; i < iters; i++) {
            CrossScanInputs in = inputs.get(i % inputs.size());
            NDArray[] y = new NDArray[1];
            t[i] = timer.time(() -> y[0] = scan.crossScanMerge(in));
            y[0].close();
        }
        return GpuTimer.median(t);
    }

    /** Inputs as the official benchmark draws them. */
    private static ScanInputs draw(NDManager m, Case c, int batch) {
        Shape seq = new Shape(batch, c.channels(), c.length());
        Shape proj = new Shape(batch, c.k(), c.dState(), c.length());
        return new ScanInputs(
                m.randomNormal(seq),
                m.randomNormal(0f, 0.5f, seq, DataType.FLOAT32),
                m.randomUniform(0f, 1f, new Shape(c.channels(), c.dState())).add(0.5f).neg(),
                m.randomNormal(proj),
                m.randomNormal(proj),
                m.randomNormal(new Shape(c.channels())),
                m.randomNormal(0f, 0.1f, new Shape(c.channels()), DataType.FLOAT32),
                true);
    }

    private double copyBandwidth() {
        try (NDManager m = NDManager.newBaseManager(gpu);
                GpuTimer timer = new GpuTimer(gpu)) {
            NDArray x = m.randomNormal(new Shape(256L << 20)); // 1 GiB
            double ms = timer.median(2, 10, () -> x.duplicate().close());
            return 2.0 * x.size() * 4 / (ms * 1e-3);
        }
    }

    private static String deviceName() {
        return CudaKernels.deviceName(0);
    }

    private static Map<String, double[]> official(Path file) throws IOException {
        Map<String, double[]> best = new LinkedHashMap<>();
        JsonElement root = JsonParser.parseString(Files.readString(file));
        for (JsonElement e : root.getAsJsonArray()) {
            JsonObject r = e.getAsJsonObject();
            String shape = r.get("shape").getAsString();
            double f = r.get("fwd_ms").getAsDouble();
            double b = r.get("bwd_ms").isJsonNull() ? Double.NaN : r.get("bwd_ms").getAsDouble();
            double[] cur =
                    best.computeIfAbsent(
                            shape, k -> new double[] {Double.MAX_VALUE, Double.MAX_VALUE});
            cur[0] = Math.min(cur[0], f);
            if (!Double.isNaN(b)) {
                cur[1] = Math.min(cur[1], b);
            }
        }
        return best;
    }

    private void printTable(JsonArray rows) {
        out.printf(
                Locale.ROOT,
                "%n%-26s %8s %8s %8s %8s %8s %8s %6s %8s %8s %7s %7s %9s %9s%n",
                "shape",
                "fwd ms",
                "b2b ms",
                "bwd ms",
                "trn fwd",
                "trn bwd",
                "fwd GB/s",
                "floor",
                "off fwd",
                "off bwd",
                "x fwd",
                "x bwd",
                "nd fwd",
                "nd f+b");
        for (JsonElement e : rows) {
            JsonObject r = e.getAsJsonObject();
            double f = r.get("fwd_ms").getAsDouble();
            double b = r.get("bwd_ms").getAsDouble();
            double of = num(r, "official_fwd_ms");
            double ob = num(r, "official_bwd_ms");
            out.printf(
                    Locale.ROOT,
                    "%-26s %8.4f %8.4f %8.4f %8.4f %8.4f %8.0f %5.0f%% %8.4f %8.4f %6.2fx %6.2fx"
                            + " %9.2f %9.2f%n",
                    r.get("shape").getAsString(),
                    f,
                    num(r, "fwd_pipelined_ms"),
                    b,
                    num(r, "train_fwd_ms"),
                    num(r, "train_bwd_ms"),
                    r.get("fwd_GBps").getAsDouble(),
                    100 * r.get("fwd_floor_ms").getAsDouble() / f,
                    of,
                    ob,
                    of / f,
                    ob / b,
                    num(r, "ndarray_fwd_ms"),
                    num(r, "ndarray_fwd_bwd_ms"));
        }
    }

    private static double num(JsonObject r, String key) {
        return r.has(key) ? r.get(key).getAsDouble() : Double.NaN;
    }
}
