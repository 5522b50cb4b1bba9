package dev.vmamba.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The launch-configuration table and its agreement with the CUDA source; no GPU needed. */
class LaunchConfigTest {

    private static final int H100_SMS = 132;
    private static final int H100_SMEM = 227 * 1024;
    private static final Path SOURCE = Path.of("src/main/cuda/selective_scan.cu");

    @Test
    void recordRejectsImpossibleValues() {
        assertThrows(IllegalArgumentException.class, () -> new LaunchConfig(0, 1, 16, 32, 0));
        assertRejected(() -> new LaunchConfig(64, 3, 16, 32, 0), "nrows must be 1, 2 or 4");
        assertThrows(IllegalArgumentException.class, () -> new LaunchConfig(64, 1, 3, 32, 0));
        assertThrows(IllegalArgumentException.class, () -> new LaunchConfig(64, 1, 16, 24, 0));
        assertThrows(IllegalArgumentException.class, () -> new LaunchConfig(64, 1, 16, 512, 0));
        assertThrows(IllegalArgumentException.class, () -> new LaunchConfig(64, 1, 16, 32, -1));
    }

    @Test
    void localReversePassDoublesTheChunkOfEvenSpansOverTheSameSpans() {
        LaunchConfig even = new LaunchConfig(16, 1, 4, 8, 10);
        LaunchConfig doubled = SelectiveScanKernels.localReverseConfig(even, 3136, H100_SMEM, 16);
        assertEquals(new LaunchConfig(16, 1, 4, 16, 5), doubled);
        Random random = new Random(27);
        for (int i = 0; i < 200; i++) {
            int length = 1 + random.nextInt(5000);
            LaunchConfig c =
                    new LaunchConfig(
                            16,
                            1 << random.nextInt(2),
                            4,
                            4 << random.nextInt(4),
                            2 + random.nextInt(12));
            LaunchConfig lc = SelectiveScanKernels.localReverseConfig(c, length, H100_SMEM, 16);
            // the carries the backward reads lie on the same span boundaries
            assertEquals(c.spans(length), lc.spans(length), c + " at L = " + length);
            assertEquals(
                    (long) c.spanChunksFor(length) * c.chunk(),
                    (long) lc.spanChunksFor(length) * lc.chunk(),
                    c + " at L = " + length);
        }
        // kept: odd spans, one span, chunks already at the limit, warp per row, too little memory
        LaunchConfig odd = new LaunchConfig(16, 1, 4, 8, 9);
        assertEquals(odd, SelectiveScanKernels.localReverseConfig(odd, 3136, H100_SMEM, 16));
        assertEquals(even, SelectiveScanKernels.localReverseConfig(even, 40, H100_SMEM, 16));
        LaunchConfig longChunk = new LaunchConfig(16, 1, 4, 64, 2);
        assertEquals(
                longChunk, SelectiveScanKernels.localReverseConfig(longChunk, 3136, H100_SMEM, 16));
        LaunchConfig warp = LaunchConfig.warpPerRow(128, 1, 4);
        assertEquals(warp, SelectiveScanKernels.localReverseConfig(warp, 3136, H100_SMEM, 1));
        int tight = even.sharedBytes(LaunchConfig.Kind.BWD_LOCAL, 16, 3136);
        assertEquals(even, SelectiveScanKernels.localReverseConfig(even, 3136, tight, 16));
    }

    @Test
    void derivedSizes() {
        LaunchConfig c = new LaunchConfig(32, 2, 4, 16, 0);
        assertEquals(4, c.threadsPerRow(16));
        assertEquals(2, c.threadsPerRow(5));
        assertEquals(1, c.threadsPerRow(3));
        assertEquals(128, c.blockThreads(16));
        assertEquals(64, c.rowsPerBlock());
        assertEquals(196, c.chunks(3136));
        assertEquals(196, c.spanChunksFor(3136));
        assertEquals(197, c.chunks(3137));
        assertEquals(1, c.spans(3136));
        LaunchConfig split = new LaunchConfig(32, 1, 16, 16, 4);
        assertEquals(4, split.spanChunksFor(3136));
        assertEquals(49, split.spans(3136));
        assertEquals("4_2_4", c.kernelSuffix(16));
    }

    @Test
    void backwardStatePassesRunOneRowPerThreadWhereTheChunkAllows() {
        // 4 states × 2 rows: register groups of 4 steps; one row: groups of 8
        LaunchConfig two = new LaunchConfig(32, 2, 4, 8, 0);
        assertEquals(new LaunchConfig(32, 1, 4, 8, 0), SelectiveScanKernels.statePassConfig(two));
        LaunchConfig shortChunks = new LaunchConfig(32, 2, 4, 4, 3);
        assertEquals(shortChunks, SelectiveScanKernels.statePassConfig(shortChunks));
        LaunchConfig warp = LaunchConfig.warpPerRow(128, 2, 0);
        assertEquals(warp, SelectiveScanKernels.statePassConfig(warp));
    }

    @Test
    void aForwardSavesTheBackwardsChunkStatesWhereItsGroupsTileTheChunk() {
        LaunchConfig bwd = new LaunchConfig(32, 2, 4, 8, 0);
        // 4 states per thread: groups of 8 steps; 8 states (or 4 × 2 rows): groups of 4
        assertTrue(SelectiveScanKernels.canSave(new LaunchConfig(32, 1, 4, 32, 0), bwd));
        assertTrue(SelectiveScanKernels.canSave(new LaunchConfig(32, 1, 8, 16, 2), bwd));
        assertTrue(SelectiveScanKernels.canSave(new LaunchConfig(32, 2, 4, 8, 0), bwd));
        // 2 states per thread: groups of 16 steps, longer than the backward's chunk
        assertFalse(SelectiveScanKernels.canSave(new LaunchConfig(32, 1, 2, 32, 0), bwd));
        assertTrue(
                SelectiveScanKernels.canSave(
                        new LaunchConfig(32, 1, 2, 32, 0), new LaunchConfig(32, 1, 2, 16, 0)));
        // warp per row only with warp per row (both in 128-step tiles)
        LaunchConfig warp = LaunchConfig.warpPerRow(128, 2, 0);
        assertTrue(SelectiveScanKernels.canSave(warp, LaunchConfig.warpPerRow(64, 1, 3)));
        assertFalse(SelectiveScanKernels.canSave(warp, new LaunchConfig(32, 1, 1, 8, 0)));
        assertFalse(SelectiveScanKernels.canSave(new LaunchConfig(32, 1, 1, 8, 0), warp));
    }

    @Test
    void sharedMemoryMatchesTheKernelLayout() {
        // streaming forward, N = 16 in one thread per row: two buffers of the B and C tiles of
        // 16 × (16 + 4) floats; u, delta and y stay in registers
        LaunchConfig c = new LaunchConfig(64, 1, 16, 16, 0);
        assertEquals(4 * 4 * 16 * 20, c.sharedBytes(LaunchConfig.Kind.FWD, 16));
        // the fused cross-scan forward stages u and delta too: row tiles of 64 × 17 floats
        assertEquals(
                4 * 2 * (2 * 64 * 17 + 2 * 16 * 20),
                c.sharedBytes(LaunchConfig.Kind.FWD_TILED, 16));
        assertEquals(
                4 * 2 * (2 * 64 * 17 + 16 * 20), c.sharedBytes(LaunchConfig.Kind.BWD_LOCAL, 16));
        // backward: three 64 × 16 row tiles (u, delta, dy: 16-byte rows), two buffers of 2 B/C
        // tiles, one record tile (4 floats per row and step), 16 state slots of 16 floats per
        // thread (the checkpoint and h_0 .. h_14; slot t also takes step t's dB/dC partials
        // once read), the chunk's summed dB/dC (2 × 16 × 16) and one more slot per thread for
        // the next chunk's checkpoint
        int bwd =
                4
                        * (3 * 64 * 16
                                + 2 * 2 * 16 * 20
                                + 4 * 64 * 17
                                + (16 + 1) * 16 * 64
                                + 2 * 16 * 16);
        assertEquals(bwd, c.sharedBytes(LaunchConfig.Kind.BWD, 16));
        // odd strides are rounded to 4 floats (16-byte aligned tiles): N = 1, 32 × 33 = 1056
        LaunchConfig small = new LaunchConfig(32, 1, 1, 32, 0);
        assertEquals(4 * 4 * 32 * 2, small.sharedBytes(LaunchConfig.Kind.FWD, 1));
        assertEquals(
                4 * 2 * (2 * 1056 + 2 * 32 * 2), small.sharedBytes(LaunchConfig.Kind.FWD_TILED, 1));
    }

    @Test
    void stageOneBackwardSharedMemoryAllowsFourBlocksPerMultiprocessor() {
        // 64 rows of 4 states × 4 lanes, 2 rows per thread, chunk 8 (v0-T stage 1): u, delta,
        // dy (64 × 8 each), two buffers of B/C tiles of 8 × 20, records of 64 × 9 steps, 8
        // state slots of 8 floats per thread (the partials live in them) and one for the next
        // chunk's checkpoint, the summed dB/dC (2 × 16 × 8): 54.5 KiB, so four blocks (each
        // with the driver's 1 KiB) fit in an H100's 228 KiB per multiprocessor, five do not
        LaunchConfig c = new LaunchConfig(32, 2, 4, 8, 0);
        int bytes = c.sharedBytes(LaunchConfig.Kind.BWD, 16);
        assertEquals(
                4 * (3 * 64 * 8 + 2 * 2 * 8 * 20 + 4 * 64 * 9 + 9 * 2 * 4 * 128 + 2 * 16 * 8),
                bytes);
        assertEquals(55_808, bytes);
        assertTrue(4 * (bytes + 1024) <= 228 * 1024);
        assertTrue(5 * (bytes + 1024) > 228 * 1024);
    }

    /**
     * The first match of a construct of the kernel source that a Java class mirrors, failing with
     * what to update when the source no longer has that form.
     */
    private static Matcher kernelSource(String regex, String construct, String mirror)
            throws IOException {
        Matcher m = Pattern.compile(regex).matcher(Files.readString(SOURCE));
        assertTrue(m.find(), construct + " in " + SOURCE + " changed: update " + mirror);
        return m;
    }

    @Test
    void streamGroupMatchesTheKernels() throws IOException {
        Matcher m =
                kernelSource(
                        "constexpr int stream_group\\(int statesPerThread\\) \\{\\s*"
                                + "return statesPerThread >= (\\d+) \\? (\\d+) :"
                                + " statesPerThread >= (\\d+) \\? (\\d+) : (\\d+);",
                        "stream_group",
                        "streamGroup");
        int[] v = new int[5];
        for (int i = 0; i < 5; i++) {
            v[i] = Integer.parseInt(m.group(i + 1));
        }
        for (int nt : new int[] {1, 2, 4, 8, 16}) {
            for (int nrows : new int[] {1, 2, 4}) {
                int slots = nt * nrows;
                int expected = slots >= v[0] ? v[1] : slots >= v[2] ? v[3] : v[4];
                assertEquals(
                        expected,
                        new LaunchConfig(64, nrows, nt, 64, 0).streamGroup(),
                        nt + " states x " + nrows + " rows");
            }
        }
    }

    @Test
    void chunkIsAMultipleOfTheRegisterGroup() {
        assertEquals(16, new LaunchConfig(64, 1, 1, 32, 0).streamGroup());
        assertEquals(8, new LaunchConfig(64, 1, 4, 32, 0).streamGroup());
        assertEquals(8, new LaunchConfig(64, 1, 8, 32, 0).streamGroup());
        assertEquals(4, new LaunchConfig(64, 2, 8, 32, 0).streamGroup());
        ScanShape s = new ScanShape(2, 8, 4, 1, 100);
        assertRejected(
                () ->
                        LaunchConfigs.check(
                                ScanOp.FORWARD, new LaunchConfig(64, 1, 1, 8, 0), s, H100_SMEM),
                "register group of 16");
        // the fused cross-scan forward stages everything in shared memory: no such constraint
        LaunchConfigs.check(ScanOp.CROSS_FORWARD, new LaunchConfig(64, 1, 1, 8, 0), s, H100_SMEM);
    }

    @Test
    void checkNamesTheMissingVariant() {
        LaunchConfig c = new LaunchConfig(64, 4, 16, 32, 0);
        assertRejected(
                () -> c.check(16, 2, 4, 8, 100),
                "no kernel for 16 states per thread, nrows 4",
                "16_2_1");
        LaunchConfig odd = new LaunchConfig(48, 1, 16, 32, 0);
        assertRejected(() -> odd.check(16, 2, 4, 8, 100), "multiple of 32");
        LaunchConfig tiny = new LaunchConfig(64, 1, 16, 4, 1);
        assertRejected(() -> tiny.check(16, 1, 4, 8, 300_000), "spans exceed");
    }

    @Test
    void sharedMemoryLimitIsChecked() {
        LaunchConfig c = new LaunchConfig(256, 1, 16, 256, 0);
        ScanShape s = new ScanShape(2, 1024, 4, 16, 4096);
        assertRejected(
                () -> LaunchConfigs.check(ScanOp.BACKWARD, c, s, H100_SMEM),
                "bytes of shared memory");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "FORWARD, 128, 768, 4, 16, 3136",
        "BACKWARD, 128, 768, 4, 16, 3136",
        "FORWARD, 128, 3072, 4, 16, 196",
        "FORWARD, 128, 384, 4, 1, 3136",
        "BACKWARD, 128, 384, 4, 1, 3136",
        "FORWARD, 1, 768, 4, 16, 3136",
        "BACKWARD, 1, 768, 4, 16, 3136",
        "CROSS_FORWARD, 128, 768, 4, 16, 3136",
        "FORWARD, 2, 12, 4, 5, 1",
        "BACKWARD, 1, 64, 1, 256, 50",
        "FORWARD, 3, 30, 2, 32, 17"
    })
    void candidatesAreValidAndHeuristicFirst(ScanOp op, int b, int c, int g, int n, int l) {
        ScanShape s = new ScanShape(b, c, g, n, l);
        List<LaunchConfig> cands =
                LaunchConfigs.candidates(op, s, ScanTuning.AUTO, H100_SMS, H100_SMEM);
        assertFalse(cands.isEmpty());
        assertEquals(
                LaunchConfigs.heuristic(op, s, ScanTuning.AUTO, H100_SMS, H100_SMEM), cands.get(0));
        for (LaunchConfig cfg : cands) {
            LaunchConfigs.check(op, cfg, s, H100_SMEM);
        }
        assertTrue(cands.size() <= 100, "bounded search: " + cands.size());
    }

    @Test
    void fewRowsSplitIntoSpansManyRowsDoNot() {
        ScanShape batch1 = new ScanShape(1, 768, 4, 16, 3136);
        LaunchConfig h1 =
                LaunchConfigs.heuristic(
                        ScanOp.FORWARD, batch1, ScanTuning.AUTO, H100_SMS, H100_SMEM);
        assertTrue(h1.spanChunks() > 0, h1.toString());
        assertTrue(h1.spans(3136) > 32, h1.toString());
        ScanShape batch128 = new ScanShape(128, 768, 4, 16, 3136);
        assertEquals(
                0,
                LaunchConfigs.heuristic(
                                ScanOp.FORWARD, batch128, ScanTuning.AUTO, H100_SMS, H100_SMEM)
                        .spanChunks());
    }

    @ParameterizedTest(name = "nrows {0}")
    @CsvSource({"1", "2", "4"})
    void forcedNrowsIsRespected(int nrows) {
        ScanShape s = new ScanShape(2, 24, 4, 16, 300);
        ScanTuning t = ScanTuning.AUTO.withNrows(nrows);
        for (ScanOp op : ScanOp.values()) {
            List<LaunchConfig> cands = LaunchConfigs.candidates(op, s, t, H100_SMS, H100_SMEM);
            for (LaunchConfig c : cands) {
                assertEquals(nrows, c.nrows(), c.toString());
            }
            assertEquals(nrows, LaunchConfigs.heuristic(op, s, t, H100_SMS, H100_SMEM).nrows());
        }
    }

    @Test
    void everyForcedFieldIsRespected() {
        ScanShape s = new ScanShape(4, 64, 4, 16, 1000);
        ScanTuning t = ScanTuning.fixed(new LaunchConfig(32, 2, 8, 64, 3));
        List<LaunchConfig> cands =
                LaunchConfigs.candidates(ScanOp.FORWARD, s, t, H100_SMS, H100_SMEM);
        assertEquals(List.of(new LaunchConfig(32, 2, 8, 64, 3)), cands);
        ScanTuning impossible = ScanTuning.AUTO.withNrows(2);
        assertRejected(
                () ->
                        LaunchConfigs.heuristic(
                                ScanOp.FORWARD,
                                new ScanShape(1, 8, 1, 64, 10),
                                impossible,
                                H100_SMS,
                                H100_SMEM),
                "no kernel");
    }

    @Test
    void warpPerRowConfigurations() {
        LaunchConfig w = LaunchConfig.warpPerRow(128, 2, 0);
        assertEquals(8, w.rowsPerBlock());
        assertEquals(128, w.blockThreads(1));
        assertEquals("t_2", w.kernelSuffix(1));
        assertEquals(0, w.sharedBytes(LaunchConfig.Kind.FWD, 1));
        assertEquals(0, w.sharedBytes(LaunchConfig.Kind.BWD_LOCAL, 1));
        assertEquals(2 * 4 * 2 * 128 * 4, w.sharedBytes(LaunchConfig.Kind.BWD, 1));
        assertTrue(w.toString().contains("warp per row"), w.toString());
        // the single-launch backward keeps its checkpoints (warps × rows × tiles) in shared memory
        // while they fit in 48 KiB
        assertTrue(w.warpOwnCheckpoints(3136));
        assertEquals(
                4 * (2 * 4 * 2 * 128 + 4 * 2 * 25), w.sharedBytes(LaunchConfig.Kind.BWD, 1, 3136));
        LaunchConfig wide = LaunchConfig.warpPerRow(256, 4, 0);
        assertFalse(wide.warpOwnCheckpoints(50_000));
        assertEquals(2 * 4 * 8 * 2 * 128, wide.sharedBytes(LaunchConfig.Kind.BWD, 1, 50_000));
        assertTrue(LaunchConfig.warpPerRow(256, 4, 40).warpOwnCheckpoints(50_000));
        assertFalse(new LaunchConfig(64, 1, 1, 32, 0).warpOwnCheckpoints(100));
        assertThrows(
                IllegalArgumentException.class,
                () -> new LaunchConfig(128, 1, 1, 64, 0, ScanLayout.WARP_PER_ROW));
        assertThrows(
                IllegalArgumentException.class,
                () -> new LaunchConfig(128, 1, 2, 128, 0, ScanLayout.WARP_PER_ROW));
        assertThrows(IllegalArgumentException.class, () -> LaunchConfig.warpPerRow(48, 1, 0));
        assertRejected(() -> w.check(16, 1, 4, 8, 100), "N = 1");
        assertRejected(
                () ->
                        LaunchConfigs.check(
                                ScanOp.CROSS_FORWARD, w, new ScanShape(1, 8, 4, 1, 64), H100_SMEM),
                "fused cross-scan");
    }

    @Test
    void oneStateUsesTheWarpLayoutUnlessForcedOtherwise() {
        ScanShape v2v = new ScanShape(128, 384, 4, 1, 3136);
        for (ScanOp op : List.of(ScanOp.FORWARD, ScanOp.BACKWARD)) {
            LaunchConfig h = LaunchConfigs.heuristic(op, v2v, ScanTuning.AUTO, H100_SMS, H100_SMEM);
            assertTrue(h.warpPerRow(), h.toString());
            assertEquals(0, h.spanChunks());
        }
        LaunchConfig few =
                LaunchConfigs.heuristic(
                        ScanOp.FORWARD,
                        new ScanShape(1, 384, 4, 1, 3136),
                        ScanTuning.AUTO,
                        H100_SMS,
                        H100_SMEM);
        assertTrue(few.warpPerRow() && few.spanChunks() > 0, few.toString());
        // fields only the thread-per-row kernels have, or the layout itself, forced
        for (ScanTuning t :
                List.of(
                        ScanTuning.AUTO.withChunk(32),
                        ScanTuning.AUTO.withStatesPerThread(2),
                        ScanTuning.AUTO.withLayout(ScanLayout.THREAD_PER_ROW))) {
            assertFalse(
                    LaunchConfigs.heuristic(ScanOp.FORWARD, v2v, t, H100_SMS, H100_SMEM)
                            .warpPerRow(),
                    t.toString());
        }
        assertFalse(
                LaunchConfigs.heuristic(
                                ScanOp.CROSS_FORWARD, v2v, ScanTuning.AUTO, H100_SMS, H100_SMEM)
                        .warpPerRow());
        assertRejected(
                () ->
                        LaunchConfigs.heuristic(
                                ScanOp.FORWARD,
                                new ScanShape(2, 8, 1, 16, 100),
                                ScanTuning.AUTO.withLayout(ScanLayout.WARP_PER_ROW),
                                H100_SMS,
                                H100_SMEM),
                "warp-per-row");
        List<LaunchConfig> cands =
                LaunchConfigs.candidates(ScanOp.FORWARD, v2v, ScanTuning.AUTO, H100_SMS, H100_SMEM);
        assertTrue(cands.stream().anyMatch(LaunchConfig::warpPerRow));
        assertTrue(cands.stream().anyMatch(c -> !c.warpPerRow()));
        LaunchConfig w = LaunchConfig.warpPerRow(256, 4, 0);
        assertEquals(
                List.of(w),
                LaunchConfigs.candidates(
                        ScanOp.BACKWARD, v2v, ScanTuning.fixed(w), H100_SMS, H100_SMEM));
    }

    @Test
    void tuningValidation() {
        assertThrows(IllegalArgumentException.class, () -> ScanTuning.AUTO.withNrows(3));
        assertThrows(IllegalArgumentException.class, () -> ScanTuning.AUTO.withChunk(12));
        assertThrows(IllegalArgumentException.class, () -> ScanTuning.AUTO.withSpanChunks(-2));
        assertTrue(ScanTuning.AUTO.allows(new LaunchConfig(64, 4, 4, 16, 0)));
        assertFalse(ScanTuning.AUTO.withChunk(32).allows(new LaunchConfig(64, 4, 4, 16, 0)));
    }

    /** The Java table lists exactly the kernel variants the CUDA source instantiates. */
    @Test
    void kernelTableMatchesTheCudaSource() throws IOException {
        String src = Files.readString(SOURCE);
        TreeSet<String> compiled = new TreeSet<>();
        Matcher rows = Pattern.compile("(?m)^VM_INSTANTIATE_ROWS\\((\\d+), (\\d+)\\)").matcher(src);
        while (rows.find()) {
            for (int r : new int[] {1, 2, 4}) {
                compiled.add(rows.group(1) + "_" + r + "_" + rows.group(2));
            }
        }
        // one variant each, with or without register caps (VM_INSTANTIATE_REGS)
        Matcher one =
                Pattern.compile("(?m)^VM_INSTANTIATE(?:_REGS)?\\((\\d+), (\\d+), (\\d+)[,)]")
                        .matcher(src);
        while (one.find()) {
            compiled.add(one.group(1) + "_" + one.group(2) + "_" + one.group(3));
        }
        assertEquals(String.join(", ", compiled), LaunchConfigs.kernelVariants());
        // warp-per-row kernels: one per rows-per-warp value the record admits
        TreeSet<Integer> warp = new TreeSet<>();
        Matcher time = Pattern.compile("(?m)^VM_INSTANTIATE_TIME\\((\\d+)\\)").matcher(src);
        while (time.find()) {
            warp.add(Integer.parseInt(time.group(1)));
        }
        assertEquals(new TreeSet<>(List.of(1, 2, 4)), warp);
    }

    /** {@link ScanParams} writes the fields of the CUDA struct in the same order. */
    @Test
    void paramsLayoutMatchesTheCudaStruct() throws IOException {
        String src = Files.readString(SOURCE);
        String body =
                src.substring(src.indexOf("struct ScanParams {"), src.indexOf("static_assert"));
        List<String> ptrs = new ArrayList<>();
        List<String> ints = new ArrayList<>();
        Matcher m =
                Pattern.compile("(?m)^\\s+(const )?(void|float|int)(\\*)? (\\w+);").matcher(body);
        while (m.find()) {
            String name = snake(m.group(4));
            (m.group(3) != null ? ptrs : ints).add(name);
        }
        List<String> javaPtrs = new ArrayList<>();
        for (ScanParams.Ptr p : ScanParams.Ptr.values()) {
            javaPtrs.add(p.name());
        }
        List<String> javaInts = new ArrayList<>();
        for (ScanParams.Int i : ScanParams.Int.values()) {
            javaInts.add(i.name());
        }
        assertEquals(ptrs, javaPtrs);
        assertEquals(ints, javaInts);
        assertTrue(src.contains("sizeof(ScanParams) == " + ScanParams.SIZE));
        ScanParams p = new ScanParams().set(ScanParams.Ptr.DY, 0x1234_5678_9abcL);
        p.set(ScanParams.Int.WIDTH, 56);
        ScanParams q = p.copy().set(ScanParams.Int.WIDTH, 7);
        assertEquals(56, p.get(ScanParams.Int.WIDTH));
        assertEquals(7, q.get(ScanParams.Int.WIDTH));
        assertEquals(0x1234_5678_9abcL, q.get(ScanParams.Ptr.DY));
        assertEquals(ScanParams.SIZE, p.bytes().length);
    }

    @Test
    void fixedBackwardMatchesTheKernelsTrait() throws IOException {
        Matcher m =
                kernelSource(
                        "struct BwdFixed \\{\\s*static constexpr bool on = NT \\* TPR == 16"
                                + " && \\(TPR == 4 \\|\\| TPR == 2\\) && RPT \\* NT <= 8;"
                                + "\\s*static constexpr int chunk = (\\d+), threads = (\\d+);",
                        "BwdFixed",
                        "fixedBackward");
        assertEquals(LaunchConfig.FIXED_BWD_CHUNK, Integer.parseInt(m.group(1)));
        assertEquals(LaunchConfig.FIXED_BWD_THREADS, Integer.parseInt(m.group(2)));

        // 4 x 4 lanes with one or two rows, 8 x 2 with one: 32 or 64 row threads, 128 threads
        assertTrue(new LaunchConfig(32, 2, 4, 8, 0).fixedBackward(16));
        assertTrue(new LaunchConfig(32, 1, 4, 8, 3).fixedBackward(16));
        assertTrue(new LaunchConfig(64, 1, 8, 8, 0).fixedBackward(16));
        assertTrue(new LaunchConfig(32, 2, 4, 8, 0).fixedBackward(13), "N padded to 16");
        assertFalse(new LaunchConfig(32, 2, 4, 16, 0).fixedBackward(16), "chunk 16");
        assertFalse(new LaunchConfig(64, 2, 4, 8, 0).fixedBackward(16), "256 threads");
        assertFalse(new LaunchConfig(32, 4, 4, 8, 0).fixedBackward(16), "16 state slots");
        assertFalse(new LaunchConfig(64, 2, 8, 8, 0).fixedBackward(16), "16 state slots");
        assertFalse(new LaunchConfig(128, 1, 16, 8, 0).fixedBackward(16), "one lane per row");
        assertFalse(new LaunchConfig(16, 1, 2, 8, 0).fixedBackward(16), "8 lanes per row");
        assertFalse(new LaunchConfig(64, 1, 2, 8, 0).fixedBackward(4), "N = 4");
        assertFalse(LaunchConfig.warpPerRow(128, 1, 0).fixedBackward(1));
    }

    @ParameterizedTest(name = "B={0} C={1}")
    @CsvSource({"128, 768, 3136", "128, 3072, 196", "1, 768, 3136"})
    void heuristicN16BackwardTakesTheFixedCopy(int b, int c, int l) {
        ScanShape s = new ScanShape(b, c, 4, 16, l);
        LaunchConfig h =
                LaunchConfigs.heuristic(ScanOp.BACKWARD, s, ScanTuning.AUTO, H100_SMS, H100_SMEM);
        assertTrue(h.fixedBackward(16), h.toString());
    }

    /** The call throws an IllegalArgumentException whose message names every fragment. */
    private static void assertRejected(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), e.getMessage());
        }
    }

    private static String snake(String camel) {
        if (camel.matches("d[A-Z]")) { // dA, dB, ...: one word
            return camel.toUpperCase(Locale.ROOT);
        }
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }
}
