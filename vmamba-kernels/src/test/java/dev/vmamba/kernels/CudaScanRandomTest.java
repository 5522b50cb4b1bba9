package dev.vmamba.kernels;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.vmamba.core.scan.JavaSelectiveScan;
import dev.vmamba.core.scan.NDArraySelectiveScan;
import dev.vmamba.core.scan.ScanGradients;
import dev.vmamba.core.scan.ScanInputs;
import dev.vmamba.core.scan.ScanOutput;
import dev.vmamba.kernels.GpuSupport.Problem;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fresh random problems against the twins: the forward against the CPU Java scan, the backward
 * against DJL autograd through the NDArray scan (on the GPU). Shapes cover L = 1, lengths that are
 * not multiples of any chunk, N = 1, 5, 16, 32 and 256, batch 1 with a long sequence (span-split
 * plans) and a large batch, groups 1/2/4, without D or bias, without softplus; each with the
 * autotuned configuration, every forced {@code nrows} and (forward) forced 64-step chunks.
 */
@Tag("gpu")
class CudaScanRandomTest {

    private static Device gpu;
    private static NDManager manager;
    private static NDManager refs;
    private static final Map<Integer, ScanGradients> AUTOGRAD = new HashMap<>();

    @BeforeAll
    static void setUp() {
        gpu = GpuSupport.gpu();
        manager = NDManager.newBaseManager(Device.cpu());
        refs = NDManager.newBaseManager(gpu);
    }

    @AfterAll
    static void tearDown() {
        if (manager != null) {
            manager.close();
            refs.close();
        }
    }

    static List<Problem> problems() {
        return List.of(
                new Problem(1, 4, 3, 16, 1, true, true, true),
                new Problem(2, 4, 5, 16, 17, true, true, true),
                new Problem(3, 2, 7, 1, 1000, true, true, true),
                new Problem(1, 1, 9, 5, 33, true, true, true),
                new Problem(64, 4, 6, 16, 50, true, true, true),
                new Problem(2, 4, 4, 32, 70, true, true, true),
                new Problem(1, 4, 2, 256, 40, true, true, true),
                new Problem(1, 4, 48, 16, 2051, true, true, true),
                new Problem(4, 4, 24, 4, 129, false, true, true),
                new Problem(2, 1, 3, 8, 300, false, false, false),
                new Problem(1, 4, 96, 1, 3136, true, true, true));
    }

    static Stream<Arguments> forwardCases() {
        List<Arguments> out = new ArrayList<>();
        int seed = 0;
        for (Problem p : problems()) {
            seed++;
            for (String t : List.of("auto", "nrows1", "nrows2", "nrows4", "spans", "chunk64")) {
                if (applies(t, p)) {
                    out.add(Arguments.of(p, t, seed));
                }
            }
        }
        return out.stream();
    }

    static Stream<Arguments> backwardCases() {
        List<Arguments> out = new ArrayList<>();
        int seed = 100;
        for (Problem p : problems()) {
            seed++;
            if ((long) p.length() * p.batch() > 6000) {
                continue; // the autograd reference walks L steps; keep it quick
            }
            for (String t : List.of("auto", "nrows1", "nrows2", "nrows4", "spans")) {
                if (applies(t, p)) {
                    out.add(Arguments.of(p, t, seed));
                }
            }
        }
        return out.stream();
    }

    /**
     * Whether a forced tuning exists for the problem: nrows > 1 is compiled for N ≤ 16 only, and
     * 64-step tiles of a larger N exceed shared memory.
     */
    private static boolean applies(String tuning, Problem p) {
        boolean smallStatesOnly = List.of("nrows2", "nrows4", "chunk64").contains(tuning);
        return p.dState() <= 16 || !smallStatesOnly;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("forwardCases")
    void forwardMatchesJavaScan(Problem p, String tuning, int seed) {
        try (NDManager m = manager.newSubManager()) {
            ScanInputs cpu = GpuSupport.random(m, p, seed);
            ScanOutput ref = new JavaSelectiveScan().forward(cpu, true);
            ScanInputs dev = GpuSupport.to(cpu, gpu, null);
            ScanOutput out =
                    new CudaSelectiveScan(CudaScanFixtureTest.tuning(tuning, p.dState()))
                            .forward(dev, true);
            GpuSupport.assertClose(p + " y", out.y(), ref.y(), 2e-4);
            GpuSupport.assertClose(p + " last", out.lastState(), ref.lastState(), 2e-4);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backwardCases")
    void backwardMatchesAutograd(Problem p, String tuning, int seed) {
        try (NDManager m = manager.newSubManager()) {
            ScanInputs cpu = GpuSupport.random(m, p, seed);
            ScanInputs dev = GpuSupport.to(cpu, gpu, null);
            NDArray dy =
                    GpuSupport.normal(m, new java.util.Random(seed), cpu.u().getShape(), 1f, 0f)
                            .toDevice(gpu, false);
            ScanGradients ref =
                    AUTOGRAD.computeIfAbsent(
                            seed,
                            k ->
                                    keep(
                                            new NDArraySelectiveScan()
                                                    .backward(GpuSupport.to(cpu, gpu, null), dy),
                                            refs));
            ScanGradients out =
                    new CudaSelectiveScan(CudaScanFixtureTest.tuning(tuning, p.dState()))
                            .backward(dev, dy);
            GpuSupport.assertGradients(p.toString(), out, ref, 1e-3);
        }
    }

    /**
     * The warp-per-row backward keeps its checkpoints in shared memory while they fit and reads
     * them from a forward pass beyond: both placements (and a span split) against the Java scan on
     * a long N = 1 sequence.
     */
    @Test
    void warpPerRowCheckpointPlacementsAgree() {
        Problem p = new Problem(1, 2, 3, 1, 50_000, true, true, true);
        LaunchConfig onChip = LaunchConfig.warpPerRow(64, 1, 0);
        LaunchConfig global = LaunchConfig.warpPerRow(256, 4, 0);
        LaunchConfig spans = LaunchConfig.warpPerRow(256, 4, 40);
        assertTrue(onChip.warpOwnCheckpoints(p.length()));
        assertFalse(global.warpOwnCheckpoints(p.length()));
        assertTrue(spans.warpOwnCheckpoints(p.length()));
        try (NDManager m = manager.newSubManager()) {
            ScanInputs cpu = GpuSupport.random(m, p, 4242);
            NDArray dyCpu =
                    GpuSupport.normal(m, new java.util.Random(7), cpu.u().getShape(), 1f, 0f);
            JavaSelectiveScan java = new JavaSelectiveScan();
            ScanOutput refOut = java.forward(cpu, true);
            ScanGradients ref = java.backward(cpu, dyCpu);
            ScanInputs dev = GpuSupport.to(cpu, gpu, null);
            NDArray dy = dyCpu.toDevice(gpu, false);
            for (LaunchConfig c : List.of(onChip, global, spans)) {
                CudaSelectiveScan scan = new CudaSelectiveScan(ScanTuning.fixed(c));
                ScanOutput out = scan.forward(dev, true);
                GpuSupport.assertClose(c + " y", out.y(), refOut.y(), 2e-4);
                GpuSupport.assertClose(c + " last", out.lastState(), refOut.lastState(), 2e-4);
                GpuSupport.assertGradients(c.toString(), scan.backward(dev, dy), ref, 1e-3);
            }
        }
    }

    /** Moves cached reference gradients to a manager that outlives the test. */
    private static ScanGradients keep(ScanGradients g, NDManager owner) {
        g.arrays().forEach(a -> a.attach(owner));
        return g;
    }
}
