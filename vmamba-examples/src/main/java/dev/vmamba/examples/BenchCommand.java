package dev.vmamba.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vmamba.core.VMamba;
import dev.vmamba.core.scan.JavaSelectiveScan;
import dev.vmamba.core.scan.NDArraySelectiveScan;
import dev.vmamba.core.scan.ScanBackend;
import dev.vmamba.core.scan.ScanInputs;
import dev.vmamba.core.scan.SelectiveScan;
import dev.vmamba.models.VMambaPreset;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ForkJoinPool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vmamba bench}: CPU benchmarks of the selective scan and of whole models, reported as
 * medians with the ratio to the NDArray reference scan measured in the same run.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "CPU benchmarks: the selective scan (Java kernels vs the NDArray reference, same run)",
            "and whole-model batch-1 forward latency. Prints medians of repeated runs."
        })
public final class BenchCommand implements Callable<Integer> {

    @Option(
            names = "--what",
            defaultValue = "all",
            description = "scan, model or all (default: ${DEFAULT-VALUE})")
    String what;

    @Option(
            names = "--scan-shape",
            defaultValue = "1,768,16,3136",
            description = "Bt,C,N,L of the scan (default: v0-T stage 1, ${DEFAULT-VALUE})")
    String scanShape;

    @Option(
            names = "--presets",
            defaultValue = "vmamba-t-v0,vmamba-t",
            split = ",",
            description = "models to time (default: ${DEFAULT-VALUE})")
    List<String> presets;

    @Option(
            names = "--size",
            defaultValue = "224",
            description = "image side (default: ${DEFAULT-VALUE})")
    int size;

    @Option(
            names = "--batch",
            defaultValue = "1",
            description = "batch size (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(
            names = "--repeats",
            defaultValue = "10",
            description = "timed runs (default: ${DEFAULT-VALUE})")
    int repeats;

    @Option(
            names = "--warmup",
            defaultValue = "3",
            description = "untimed runs first (default: ${DEFAULT-VALUE})")
    int warmup;

    private final PrintStream out = System.out;

    @Override
    public Integer call() {
        out.printf(
                Locale.ROOT,
                "machine: %d cores (%s), Java %s, Vector API kernel: %s%n",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.arch"),
                System.getProperty("java.version"),
                JavaSelectiveScan.vectorApiAvailable()
                        ? "yes"
                        : "no (add --add-modules jdk.incubator.vector)");
        if (what.equals("scan") || what.equals("all")) {
            benchScan();
        }
        if (what.equals("model") || what.equals("all")) {
            benchModels();
        }
        return 0;
    }

    private void benchScan() {
        String[] p = scanShape.split(",");
        if (p.length != 4) {
            throw new IllegalArgumentException("--scan-shape needs Bt,C,N,L, got " + scanShape);
        }
        int bt = Integer.parseInt(p[0].trim());
        int ch = Integer.parseInt(p[1].trim());
        int n = Integer.parseInt(p[2].trim());
        int l = Integer.parseInt(p[3].trim());
        double updates = (double) bt * ch * n * l;
        out.printf(
                Locale.ROOT,
                "%nselective scan, Bt=%d C=%d N=%d L=%d, 4 groups, float32%n",
                bt,
                ch,
                n,
                l);
        try (NDManager m = NDManager.newBaseManager()) {
            ScanInputs in = randomInputs(m, bt, ch, n, l);
            List<Timing> t = new ArrayList<>();
            JavaSelectiveScan vector = new JavaSelectiveScan();
            t.add(time("java (" + vector.kernelName() + ")", vector, in, repeats));
            t.add(
                    time(
                            "java (scalar)",
                            new JavaSelectiveScan(ForkJoinPool.commonPool(), false),
                            in,
                            repeats));
            t.add(
                    time(
                            "ndarray (reference)",
                            new NDArraySelectiveScan(),
                            in,
                            Math.max(3, repeats / 3)));
            double ref = t.get(2).median();
            for (Timing x : t) {
                out.printf(
                        Locale.ROOT,
                        "  %s   %7.2f G state updates/s   %6.1fx vs ndarray%n",
                        x.summary(),
                        updates / x.median() / 1e9,
                        ref / x.median());
            }
        }
    }

    private Timing time(String label, SelectiveScan scan, ScanInputs in, int reps) {
        return Timing.measure(
                label, Math.min(warmup, reps), reps, () -> scan.forward(in, false).y().close());
    }

    static ScanInputs randomInputs(NDManager m, int bt, int ch, int n, int l) {
        int groups = ch % 4 == 0 ? 4 : 1;
        return new ScanInputs(
                m.randomNormal(new Shape(bt, ch, l)),
                m.randomNormal(new Shape(bt, ch, l)).sub(2),
                m.randomUniform(0.5f, 16f, new Shape(ch, n)).neg(),
                m.randomNormal(new Shape(bt, groups, n, l)),
                m.randomNormal(new Shape(bt, groups, n, l)),
                m.ones(new Shape(ch)),
                m.randomNormal(new Shape(ch)).mul(0.1),
                true);
    }

    private void benchModels() {
        for (String name : presets) {
            VMambaPreset preset = VMambaPreset.of(name.trim());
            out.printf(
                    Locale.ROOT,
                    "%n%s (%s), batch %d, %dx%d, random weights (speed does not depend on values)%n",
                    preset.id(),
                    preset.family(),
                    batch,
                    size,
                    size);
            try (NDManager m = NDManager.newBaseManager()) {
                VMamba model = VMamba.builder(preset.config()).build();
                model.initialize(m, DataType.FLOAT32);
                NDArray x = m.randomNormal(new Shape(batch, 3, size, size));
                for (ScanBackend b : List.of(ScanBackend.JAVA)) {
                    model.setScanBackend(b);
                    Timing t =
                            Timing.measure(
                                    "forward, scan " + b,
                                    warmup,
                                    repeats,
                                    () -> {
                                        try (NDManager s = m.newSubManager()) {
                                            NDArray xi = x.duplicate();
                                            xi.attach(s);
                                            model.forward(xi).toFloatArray();
                                        }
                                    });
                    out.println("  " + t.summary());
                }
            }
        }
    }
}
