package dev.vmamba.kernels;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The launch-configuration table: which kernel variants exist, the candidates worth timing for a
 * shape, and a heuristic choice when nothing is timed. Everything here is plain data and
 * arithmetic, independent of a GPU.
 *
 * <p>Rationale of the defaults: one thread per channel row keeps up to 16 states in registers (more
 * states split a row over 2–16 lanes); blocks of 64–256 threads; forward chunks of 16–64 steps for
 * N ≥ 5 (64 halves the staging barriers of 32 and was 2–3 % faster for the 4 × 4 forward at v0-T
 * stages 1 and 3 on an H100; 8 was never the fastest) and 32–64 for small N (memory-bound, larger
 * tiles keep more loads in flight), backward chunks of 8–16 steps. When the rows of a problem
 * cannot fill the device (about 1024 resident threads per multiprocessor), the sequence is cut into
 * spans so that rows × spans do.
 */
public final class LaunchConfigs {

    /**
     * Compiled variants {@code statesPerThread_nrows_threadsPerRow}: exactly the {@code
     * VM_INSTANTIATE} lines of {@code selective_scan.cu}.
     */
    private static final Set<String> KERNELS =
            Set.of(
                    "1_1_1", "1_2_1", "1_4_1", "2_1_1", "2_2_1", "2_4_1", "4_1_1", "4_2_1", "4_4_1",
                    "8_1_1", "8_2_1", "8_4_1", "4_1_2", "4_2_2", "4_4_2", "4_1_4", "4_2_4", "4_4_4",
                    "16_1_1", "16_2_1", "8_1_2", "8_2_2", "16_1_2", "16_1_4", "16_1_8", "16_1_16");

    /** Rows from which the forward also tries a quarter of the states per thread. */
    static final long MANY_ROWS = 16_384;

    /** Resident threads per multiprocessor aimed at when deciding to split into spans. */
    static final int THREADS_PER_SM = 1024;

    private LaunchConfigs() {}

    /**
     * Whether a kernel variant is compiled.
     *
     * @param statesPerThread NT
     * @param nrows rows per thread
     * @param threadsPerRow lanes per row
     * @return true if compiled into the fatbin
     */
    public static boolean hasKernel(int statesPerThread, int nrows, int threadsPerRow) {
        return KERNELS.contains(statesPerThread + "_" + nrows + "_" + threadsPerRow);
    }

    /**
     * @return the compiled variants, sorted, as {@code NT_nrows_TPR}
     */
    public static String kernelVariants() {
        return String.join(", ", new TreeSet<>(KERNELS));
    }

    /**
     * The configurations worth timing for a shape, respecting the caller's forced fields.
     *
     * @param op the operation
     * @param s the shape
     * @param tuning forced fields
     * @param multiprocessors SMs of the device
     * @param maxSharedBytes dynamic shared memory a block may use
     * @return valid candidates, the heuristic choice first
     * @throws IllegalArgumentException if the forced fields leave none
     */
    public static List<LaunchConfig> candidates(
            ScanOp op, ScanShape s, ScanTuning tuning, int multiprocessors, int maxSharedBytes) {
        Set<LaunchConfig> out = new LinkedHashSet<>();
        try {
            out.add(heuristic(op, s, tuning, multiprocessors, maxSharedBytes));
        } catch (IllegalArgumentException e) {
            // no heuristic choice fits the forced fields: the search below reports it
        }
        if (warpLayoutAllowed(op, s, tuning)) {
            for (int nrows : options(tuning.nrows(), 1, 2, 4)) {
                for (int threads : options(tuning.rowThreads(), 128, 256)) {
                    if (threads % 32 != 0) {
                        continue;
                    }
                    // a warp per row: 32 threads per row, tiles of TIME_TILE steps
                    for (int span :
                            spanOptions(
                                    s,
                                    tuning,
                                    nrows,
                                    32,
                                    LaunchConfig.TIME_TILE,
                                    multiprocessors)) {
                        LaunchConfig c = LaunchConfig.warpPerRow(threads, nrows, span);
                        if (fits(op, c, s, maxSharedBytes)) {
                            out.add(c);
                        }
                    }
                }
            }
        }
        int np2 = LaunchConfig.nextPow2(s.dState());
        for (int nt :
                threadLayoutAllowed(tuning) ? statesOptions(op, s, tuning) : List.<Integer>of()) {
            int tpr = Math.max(1, np2 / nt);
            for (int nrows : options(tuning.nrows(), 1, 2, 4)) {
                if (!hasKernel(nt, nrows, tpr)) {
                    continue;
                }
                boolean split = splitSpan(s, nrows, tpr, 16, multiprocessors) > 0;
                for (int rowThreads :
                        rowThreadOptions(tuning, tpr, op == ScanOp.BACKWARD || split)) {
                    for (int chunk : chunkOptions(op, s, tuning)) {
                        for (int span :
                                spanOptions(s, tuning, nrows, tpr, chunk, multiprocessors)) {
                            LaunchConfig c = new LaunchConfig(rowThreads, nrows, nt, chunk, span);
                            if (fits(op, c, s, maxSharedBytes)) {
                                out.add(c);
                            }
                        }
                    }
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(
                    "no launch configuration fits " + op + " " + s + " with " + tuning);
        }
        return new ArrayList<>(out);
    }

    /**
     * The configuration used without timing.
     *
     * @param op the operation
     * @param s the shape
     * @param tuning forced fields
     * @param multiprocessors SMs of the device
     * @param maxSharedBytes dynamic shared memory a block may use
     * @return a valid configuration
     * @throws IllegalArgumentException if the forced fields admit none
     */
    public static LaunchConfig heuristic(
            ScanOp op, ScanShape s, ScanTuning tuning, int multiprocessors, int maxSharedBytes) {
        if (warpLayoutAllowed(op, s, tuning)) {
            // the autotuner's usual choice on an H100: two rows per warp for the forward, eight
            // warps of one row for the backward
            boolean bwd = op == ScanOp.BACKWARD;
            int nrows = tuning.nrows() != 0 ? tuning.nrows() : bwd ? 1 : 2;
            int threads = tuning.rowThreads() != 0 ? tuning.rowThreads() : bwd ? 256 : 128;
            if (threads % 32 == 0) {
                int span =
                        tuning.spanChunks() != -1
                                ? tuning.spanChunks()
                                : splitSpan(s, nrows, 32, LaunchConfig.TIME_TILE, multiprocessors);
                LaunchConfig c = LaunchConfig.warpPerRow(threads, nrows, span);
                if (fits(op, c, s, maxSharedBytes)) {
                    return c;
                }
            }
        }
        if (!threadLayoutAllowed(tuning)) {
            throw new IllegalArgumentException(
                    "the warp-per-row layout does not fit " + op + " " + s + " with " + tuning);
        }
        int np2 = LaunchConfig.nextPow2(s.dState());
        List<Integer> nts = new ArrayList<>();
        if (tuning.statesPerThread() != 0) {
            nts.add(tuning.statesPerThread());
        } else {
            int base = Math.min(16, np2);
            // N of 5..16: four states per thread (several lanes per row), as the autotuner chose
            // on an H100 for the backward and, given many rows, the forward; eight with few rows
            if (np2 == 8 || np2 == 16) {
                int nt = op == ScanOp.BACKWARD || s.rows() >= MANY_ROWS ? 4 : 8;
                if (hasKernel(nt, 1, np2 / nt)) {
                    nts.add(nt);
                }
            }
            // preferred first, then every smaller split (a forced nrows may exist only there)
            for (int nt = base; nt >= 1; nt /= 2) {
                if (!nts.contains(nt)) {
                    nts.add(nt);
                }
            }
        }
        IllegalArgumentException last = null;
        for (int nt : nts) {
            int tpr = Math.max(1, np2 / nt);
            int nrows = tuning.nrows() != 0 ? tuning.nrows() : 1;
            int rowThreads =
                    tuning.rowThreads() != 0 ? tuning.rowThreads() : Math.max(1, 128 / tpr);
            int preferred = clampChunk(preferredChunk(op, s, np2), s.length());
            // shorter chunks when the tiles of a large N do not fit in shared memory
            for (int chunk = tuning.chunk() != 0 ? tuning.chunk() : preferred;
                    chunk >= 4;
                    chunk /= 2) {
                int span =
                        tuning.spanChunks() != -1
                                ? tuning.spanChunks()
                                : splitSpan(s, nrows, tpr, chunk, multiprocessors);
                try {
                    LaunchConfig c = new LaunchConfig(rowThreads, nrows, nt, chunk, span);
                    check(op, c, s, maxSharedBytes);
                    return c;
                } catch (IllegalArgumentException e) {
                    if (last == null) {
                        last = e; // report why the preferred split failed
                    }
                }
                if (tuning.chunk() != 0) {
                    break;
                }
            }
        }
        throw last != null
                ? last
                : new IllegalArgumentException("no heuristic configuration for " + s);
    }

    /**
     * Checks that a configuration can run an operation on a shape within a shared-memory limit.
     *
     * @param op the operation
     * @param c the configuration
     * @param s the shape
     * @param maxSharedBytes dynamic shared memory a block may use
     * @throws IllegalArgumentException with the reason otherwise
     */
    public static void check(ScanOp op, LaunchConfig c, ScanShape s, int maxSharedBytes) {
        if (op == ScanOp.CROSS_FORWARD && c.warpPerRow()) {
            throw new IllegalArgumentException(
                    c + ": the fused cross-scan has no warp-per-row kernel");
        }
        c.check(s.dState(), s.batch(), s.groups(), s.dimPerGroup(), s.length());
        if (op != ScanOp.CROSS_FORWARD && c.chunk() % c.streamGroup() != 0) {
            throw new IllegalArgumentException(
                    c
                            + ": the chunk must be a multiple of the forward's register group of "
                            + c.streamGroup()
                            + " steps");
        }
        for (LaunchConfig.Kind k : kinds(op)) {
            int bytes = c.sharedBytes(k, s.dState(), s.length());
            if (bytes > maxSharedBytes) {
                throw new IllegalArgumentException(
                        c
                                + " needs "
                                + bytes
                                + " bytes of shared memory for "
                                + k
                                + " at N = "
                                + s.dState()
                                + ", more than the "
                                + maxSharedBytes
                                + " a block may use");
            }
        }
    }

    static List<LaunchConfig.Kind> kinds(ScanOp op) {
        return op == ScanOp.BACKWARD
                ? List.of(LaunchConfig.Kind.FWD, LaunchConfig.Kind.BWD_LOCAL, LaunchConfig.Kind.BWD)
                : List.of(LaunchConfig.Kind.FWD);
    }

    private static boolean fits(ScanOp op, LaunchConfig c, ScanShape s, int maxSharedBytes) {
        try {
            check(op, c, s, maxSharedBytes);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Whether the warp-per-row kernels may run: N = 1, not the fused cross-scan, and nothing forced
     * that only the thread-per-row kernels have.
     */
    private static boolean warpLayoutAllowed(ScanOp op, ScanShape s, ScanTuning tuning) {
        return s.dState() == 1
                && op != ScanOp.CROSS_FORWARD
                && (tuning.layout() == null || tuning.layout() == ScanLayout.WARP_PER_ROW)
                && (tuning.statesPerThread() == 0 || tuning.statesPerThread() == 1)
                && (tuning.chunk() == 0 || tuning.chunk() == LaunchConfig.TIME_TILE);
    }

    private static boolean threadLayoutAllowed(ScanTuning tuning) {
        return tuning.layout() == null || tuning.layout() == ScanLayout.THREAD_PER_ROW;
    }

    /**
     * The heuristic's chunk: N of 5..16 in the autotuner's usual choices (backward 8 steps, forward
     * 32 with many rows), else 16 (64 for the forward of N ≤ 4).
     */
    private static int preferredChunk(ScanOp op, ScanShape s, int np2) {
        boolean mid = np2 == 8 || np2 == 16;
        if (op == ScanOp.BACKWARD) {
            return mid ? 8 : 16;
        }
        if (s.dState() <= 4) {
            return 64;
        }
        return mid && s.rows() >= MANY_ROWS ? 32 : 16;
    }

    private static List<Integer> statesOptions(ScanOp op, ScanShape s, ScanTuning tuning) {
        if (tuning.statesPerThread() != 0) {
            return List.of(tuning.statesPerThread());
        }
        int np2 = LaunchConfig.nextPow2(s.dState());
        int base = Math.min(16, np2);
        List<Integer> out = new ArrayList<>();
        out.add(base);
        // the forward shares Δ between the lanes of a row, so with many rows four lanes per row
        // (more warps, a shorter tail wave) can pay off at N = 16
        int[] smaller =
                op == ScanOp.BACKWARD
                        ? new int[] {8, 4}
                        : s.rows() >= MANY_ROWS
                                ? new int[] {base / 2, base / 4}
                                : new int[] {base / 2};
        for (int nt : smaller) {
            if (nt >= 4 && nt < base && !out.contains(nt)) {
                out.add(nt);
            }
        }
        return out;
    }

    private static List<Integer> rowThreadOptions(ScanTuning tuning, int tpr, boolean narrow) {
        if (tuning.rowThreads() != 0) {
            return List.of(tuning.rowThreads());
        }
        List<Integer> out = new ArrayList<>();
        int[] blocks = narrow ? new int[] {64, 128} : new int[] {32, 64, 128, 256};
        for (int b : blocks) {
            int r = Math.max(1, b / tpr);
            if (!out.contains(r)) {
                out.add(r);
            }
        }
        return out;
    }

    private static List<Integer> chunkOptions(ScanOp op, ScanShape s, ScanTuning tuning) {
        if (tuning.chunk() != 0) {
            return List.of(tuning.chunk());
        }
        int[] chunks =
                op == ScanOp.BACKWARD
                        ? new int[] {8, 16}
                        : s.dState() <= 4 ? new int[] {32, 64} : new int[] {16, 32, 64};
        List<Integer> out = new ArrayList<>();
        for (int c : chunks) {
            int v = clampChunk(c, s.length());
            if (!out.contains(v)) {
                out.add(v);
            }
        }
        return out;
    }

    private static List<Integer> spanOptions(
            ScanShape s, ScanTuning tuning, int nrows, int tpr, int chunk, int sms) {
        if (tuning.spanChunks() != -1) {
            return List.of(tuning.spanChunks());
        }
        int split = splitSpan(s, nrows, tpr, chunk, sms);
        List<Integer> out = new ArrayList<>();
        out.add(split);
        if (split > 0) {
            int nChunks = (s.length() + chunk - 1) / chunk;
            for (int v : new int[] {split * 2, 0}) {
                int w = v >= nChunks ? 0 : v;
                if (!out.contains(w)) {
                    out.add(w);
                }
            }
        }
        return out;
    }

    /**
     * Chunks per span so that rows × spans give about {@link #THREADS_PER_SM} threads per SM, or 0
     * (single pass) when the rows alone come close.
     */
    static int splitSpan(ScanShape s, int nrows, int tpr, int chunk, int sms) {
        long threads = (s.rows() + nrows - 1) / nrows * tpr;
        long target = (long) sms * THREADS_PER_SM;
        int nChunks = (s.length() + chunk - 1) / chunk;
        if (threads * 2 >= target || nChunks <= 1) {
            return 0;
        }
        long spans = Math.min(nChunks, (target + threads - 1) / threads);
        int span = (int) ((nChunks + spans - 1) / spans);
        return span >= nChunks ? 0 : span;
    }

    /** Short sequences need no long chunk, but never below 16 steps (or the asked length). */
    private static int clampChunk(int chunk, int length) {
        return Math.max(Math.min(chunk, 16), Math.min(chunk, LaunchConfig.nextPow2(length)));
    }

    private static List<Integer> options(int forced, int... defaults) {
        if (forced != 0) {
            return List.of(forced);
        }
        List<Integer> out = new ArrayList<>();
        for (int d : defaults) {
            out.add(d);
        }
        return out;
    }
}
