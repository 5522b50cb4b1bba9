package dev.vmamba.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.vmamba.core.scan.JavaSelectiveScan;
import dev.vmamba.core.scan.ScanGradients;
import dev.vmamba.core.scan.ScanInputs;
import dev.vmamba.core.scan.ScanOutput;
import dev.vmamba.kernels.GpuSupport.Problem;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The training pair on the GPU: a forward that also saves the state entering each of the backward's
 * chunks ({@link ChunkStates}), and the backward that starts from them instead of its state passes.
 * Each pair of launch configurations is checked against the recomputing backward of the same
 * configuration and against the CPU Java scan, on fresh random problems.
 */
@Tag("gpu")
class CudaChunkStatesTest {

    private static Device gpu;
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        gpu = GpuSupport.gpu();
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterAll
    static void tearDown() {
        if (manager != null) {
            manager.close();
        }
    }

    /** Forward and backward configurations of the plans the autotuner picks, and their edges. */
    static Stream<Arguments> pairs() {
        Problem stage = new Problem(2, 4, 40, 16, 203, true, true, true);
        Problem batch1 = new Problem(1, 4, 24, 16, 700, true, true, true);
        Problem odd = new Problem(2, 2, 5, 5, 77, false, true, true);
        Problem timeRows = new Problem(3, 2, 7, 1, 1000, true, true, true);
        return Stream.of(
                // stage 1: 4 states x 4 lanes, groups of 8 steps; the backward's chunk 8, nrows 2
                Arguments.of(
                        stage, new LaunchConfig(32, 1, 4, 32, 0), new LaunchConfig(32, 2, 4, 8, 0)),
                // the backward's chunk as long as the forward's group, both with spans
                Arguments.of(
                        batch1,
                        new LaunchConfig(32, 1, 8, 16, 4),
                        new LaunchConfig(16, 1, 4, 8, 9)),
                // spans of an even number of backward chunks: the local reverse pass runs them
                // as half as many chunks of twice the steps (last span partial), one and two rows
                Arguments.of(
                        batch1,
                        new LaunchConfig(32, 1, 8, 16, 4),
                        new LaunchConfig(16, 1, 4, 8, 10)),
                Arguments.of(
                        batch1,
                        new LaunchConfig(32, 1, 8, 16, 4),
                        new LaunchConfig(16, 2, 4, 8, 4)),
                // forward in spans, backward in one pass with a longer chunk
                Arguments.of(
                        batch1,
                        new LaunchConfig(32, 1, 8, 32, 2),
                        new LaunchConfig(32, 1, 4, 16, 0)),
                // N = 5: state slots past N, no D
                Arguments.of(
                        odd, new LaunchConfig(32, 2, 4, 16, 0), new LaunchConfig(32, 1, 8, 8, 0)),
                // warp per row (N = 1), without and with spans
                Arguments.of(
                        timeRows,
                        LaunchConfig.warpPerRow(64, 2, 0),
                        LaunchConfig.warpPerRow(64, 1, 0)),
                Arguments.of(
                        timeRows,
                        LaunchConfig.warpPerRow(128, 4, 2),
                        LaunchConfig.warpPerRow(256, 1, 3)));
    }

    @ParameterizedTest(name = "{0} fwd {1} bwd {2}")
    @MethodSource("pairs")
    void savedStatesGiveTheRecomputedGradients(Problem p, LaunchConfig fwd, LaunchConfig bwd) {
        assertTrue(SelectiveScanKernels.canSave(fwd, bwd));
        try (NDManager m = manager.newSubManager()) {
            ScanInputs cpu = GpuSupport.random(m, p, p.length() + 31L * p.dState());
            NDArray dyCpu = GpuSupport.normal(m, new Random(5), cpu.u().getShape(), 1f, 0f);
            JavaSelectiveScan java = new JavaSelectiveScan();
            ScanOutput refOut = java.forward(cpu, true);
            ScanGradients ref = java.backward(cpu, dyCpu);
            ScanInputs dev = GpuSupport.to(cpu, gpu, null);
            NDArray dy = dyCpu.toDevice(gpu, false);
            ScanOutput plain = SelectiveScanKernels.forward(dev, true, DataType.FLOAT32, fwd);
            ScanOutput saving = SelectiveScanKernels.forward(dev, true, DataType.FLOAT32, fwd, bwd);
            ChunkStates states = assertInstanceOf(ChunkStates.class, saving.residuals());
            ScanShape shape =
                    new ScanShape(p.batch(), p.channels(), p.groups(), p.dState(), p.length());
            assertEquals(
                    SelectiveScanKernels.chunkStatesShape(shape, bwd), states.states().getShape());
            // writing the states does not change the outputs: same kernel, same sums
            GpuSupport.assertClose("y", saving.y(), plain.y(), 0);
            GpuSupport.assertClose("last", saving.lastState(), plain.lastState(), 0);
            GpuSupport.assertClose("y vs Java", saving.y(), refOut.y(), 2e-4);

            ScanGradients recomputed = SelectiveScanKernels.backward(dev, dy, bwd);
            ScanGradients fromSaved = SelectiveScanKernels.backward(dev, dy, bwd, states.states());
            // only the order of the float atomics may differ
            GpuSupport.assertGradients("saved vs recomputed", fromSaved, recomputed, 1e-5);
            GpuSupport.assertGradients("saved vs Java", fromSaved, ref, 1e-3);
        }
    }

    /**
     * The backward allocates its gradients uninitialised and clears the accumulated ones with its
     * own kernel: memory that the caching allocator hands back full of NaN must not show through,
     * with and without spans.
     */
    @Test
    void gradientsDoNotDependOnWhatTheirMemoryHeld() {
        Problem p = new Problem(2, 4, 40, 16, 203, true, true, true);
        try (NDManager m = manager.newSubManager();
                NDManager stale = NDManager.newBaseManager(gpu)) {
            ScanInputs cpu = GpuSupport.random(m, p, 91);
            NDArray dyCpu = GpuSupport.normal(m, new Random(6), cpu.u().getShape(), 1f, 0f);
            ScanGradients ref = new JavaSelectiveScan().backward(cpu, dyCpu);
            ScanInputs dev = GpuSupport.to(cpu, gpu, null);
            NDArray dy = dyCpu.toDevice(gpu, false);
            for (LaunchConfig bwd :
                    new LaunchConfig[] {
                        new LaunchConfig(32, 1, 8, 8, 0), new LaunchConfig(16, 1, 4, 8, 9)
                    }) {
                for (int round = 0; round < 2; round++) {
                    for (NDArray g : ref.arrays()) {
                        stale.full(g.getShape(), Float.NaN, DataType.FLOAT32).close();
                    }
                    try (ScanGradients got = SelectiveScanKernels.backward(dev, dy, bwd)) {
                        GpuSupport.assertGradients(bwd + " round " + round, got, ref, 1e-3);
                    }
                }
            }
        }
    }

    @Test
    void trainingForwardThroughTheBackendKeepsStatesForTheAutotunedBackward() {
        Problem p = new Problem(4, 4, 16, 16, 300, true, true, true);
        try (NDManager m = NDManager.newBaseManager(gpu)) {
            ScanInputs in = GpuSupport.random(m, p, 77);
            NDArray dy = GpuSupport.normal(m, new Random(8), in.u().getShape(), 1f, 0f);
            CudaSelectiveScan scan = new CudaSelectiveScan();
            ScanOutput inference = scan.forward(in, true);
            ScanOutput training = scan.forwardForBackward(in, true);
            ChunkStates states = assertInstanceOf(ChunkStates.class, training.residuals());
            assertEquals(
                    scan.configFor(ScanOp.BACKWARD, in, DataType.FLOAT32), states.backwardConfig());
            GpuSupport.assertClose("y", training.y(), inference.y(), 0);
            GpuSupport.assertGradients(
                    "saved vs recomputed",
                    scan.backward(in, dy, training),
                    scan.backward(in, dy),
                    1e-5);
            // a float16 problem: states saved for its float32-dy backward
            ScanInputs half = GpuSupport.to(in, gpu, DataType.FLOAT16);
            ScanOutput halfOut = scan.forwardForBackward(half, false);
            assertNotNull(halfOut.residuals());
            // dB/dC are summed in float32 with atomics in any order, then rounded to float16:
            // the two may differ by a float16 unit in the last place (~1e-3 relative)
            GpuSupport.assertGradients(
                    "float16 saved vs recomputed",
                    scan.backward(half, dy, halfOut),
                    scan.backward(half, dy),
                    1e-3);
            // states of other arrays (equal values, other tensors) and closed states: refused
            ScanInputs copy = GpuSupport.to(in, gpu, null);
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> scan.backward(copy, dy, training));
            assertTrue(e.getMessage().contains("other arrays"), e.getMessage());
            training.residuals().close();
            assertTrue(states.states().isReleased());
            e = assertThrows(IllegalArgumentException.class, () -> scan.backward(in, dy, training));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
    }

    @Test
    void mismatchedStatesAndPairsAreRefusedBeforeLaunch() {
        Problem p = new Problem(2, 2, 8, 16, 64, true, true, true);
        LaunchConfig fwd = new LaunchConfig(32, 1, 4, 32, 0);
        LaunchConfig bwd = new LaunchConfig(32, 2, 4, 8, 0);
        try (NDManager m = NDManager.newBaseManager(gpu)) {
            ScanInputs in = GpuSupport.random(m, p, 9);
            ScanOutput saving = SelectiveScanKernels.forward(in, false, DataType.FLOAT32, fwd, bwd);
            NDArray states = ((ChunkStates) saving.residuals()).states();
            // states saved for chunk 8 handed to a backward with chunk 16
            LaunchConfig other = new LaunchConfig(32, 2, 4, 16, 0);
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> SelectiveScanKernels.backward(in, in.u(), other, states));
            assertTrue(e.getMessage().contains("saved chunk states"), e.getMessage());
            NDArray half = states.toType(DataType.FLOAT16, false);
            e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> SelectiveScanKernels.backward(in, in.u(), bwd, half));
            assertTrue(e.getMessage().contains("float16"), e.getMessage());
            // a backward chunk shorter than the forward's register group (N = 2: two states per
            // thread stream groups of 16 steps; the backward holds four in chunks of 8), and
            // mixed layouts
            ScanInputs two =
                    GpuSupport.random(m, new Problem(2, 2, 8, 2, 64, true, true, true), 10);
            LaunchConfig wide = new LaunchConfig(32, 1, 2, 32, 0);
            LaunchConfig shortChunk = new LaunchConfig(32, 1, 4, 8, 0);
            assertFalse(SelectiveScanKernels.canSave(wide, shortChunk));
            e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    SelectiveScanKernels.forward(
                                            two, false, DataType.FLOAT32, wide, shortChunk));
            assertTrue(e.getMessage().contains("cannot save"), e.getMessage());
            assertFalse(SelectiveScanKernels.canSave(fwd, LaunchConfig.warpPerRow(64, 1, 0)));
            // the device is still usable
            GpuSupport.assertClose(
                    "after refusals",
                    SelectiveScanKernels.backward(in, in.u(), bwd, states).du(),
                    SelectiveScanKernels.backward(in, in.u(), bwd).du(),
                    1e-5);
        }
    }
}
