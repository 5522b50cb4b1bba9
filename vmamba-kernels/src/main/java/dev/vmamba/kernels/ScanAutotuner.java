package dev.vmamba.kernels;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses a launch configuration per (device, operation, shape, dtype, forced fields) by timing the
 * candidates of {@link LaunchConfigs#candidates} on the caller's own inputs with CUDA events, and
 * caches the winner for the life of the process. Every candidate is timed briefly (one warm-up,
 * median of two); the {@link #FINALISTS} fastest are then timed again (median of {@link
 * #FINAL_RUNS}) and the fastest of that round wins: two runs alone let one lucky run pick a
 * configuration a few per cent slower. Candidates that cannot launch (too many registers for their
 * block size) are skipped.
 */
public final class ScanAutotuner {

    private static final Logger LOG = LoggerFactory.getLogger(ScanAutotuner.class);

    /** Candidates of the first round that are timed again. */
    static final int FINALISTS = 3;

    /** Timed runs per finalist (after a warm-up). */
    static final int FINAL_RUNS = 5;

    private static final ScanAutotuner SHARED = new ScanAutotuner();

    private final Map<Key, LaunchConfig> cache = new ConcurrentHashMap<>();

    /**
     * What a tuned configuration is valid for.
     *
     * @param device CUDA device ordinal
     * @param op the operation
     * @param shape the sizes
     * @param types element types and optional arguments, as a label
     * @param tuning the forced fields
     */
    public record Key(int device, ScanOp op, ScanShape shape, String types, ScanTuning tuning) {}

    /**
     * @return the process-wide tuner whose cache all {@link CudaSelectiveScan}s share
     */
    public static ScanAutotuner shared() {
        return SHARED;
    }

    /**
     * The cached choice, if any.
     *
     * @param key as built by {@link #key}
     * @return the configuration or null
     */
    public LaunchConfig cached(Key key) {
        return cache.get(key);
    }

    /**
     * @return a snapshot of every cached choice, by key
     */
    public Map<Key, LaunchConfig> snapshot() {
        return Map.copyOf(cache);
    }

    /**
     * The cache key of a problem.
     *
     * @param device the GPU
     * @param op the operation
     * @param shape the sizes
     * @param dtype element type of the inputs (and output choice), as a label
     * @param tuning forced fields
     * @return the key
     */
    public static Key key(
            Device device, ScanOp op, ScanShape shape, String types, ScanTuning tuning) {
        return new Key(device.getDeviceId(), op, shape, types, tuning);
    }

    /**
     * Returns the cached choice for {@code key} or times the candidates.
     *
     * @param key the cache key
     * @param device the GPU the trials run on
     * @param candidateList configurations to time (the first is the fallback), only asked for on a
     *     cache miss: enumerating and checking them costs more than a small scan's kernel
     * @param trial runs the operation once with a configuration (its outputs released)
     * @return the fastest configuration
     */
    public LaunchConfig choose(
            Key key,
            Device device,
            Supplier<List<LaunchConfig>> candidateList,
            Consumer<LaunchConfig> trial) {
        LaunchConfig hit = cache.get(key);
        if (hit != null) {
            return hit;
        }
        List<LaunchConfig> candidates = candidateList.get();
        Choice best;
        try (GpuTimer timer = new GpuTimer(device)) {
            best =
                    fastest(
                            candidates,
                            (c, runs) -> {
                                double ms = timer.median(1, runs, () -> trial.accept(c));
                                LOG.debug("{}: {} ms with {} ({} runs)", key, ms, c, runs);
                                return ms;
                            });
        }
        if (best == null) {
            throw new IllegalArgumentException(
                    "no candidate configuration could launch for " + key);
        }
        boolean fixed =
                key.op() == ScanOp.BACKWARD && best.config().fixedBackward(key.shape().dState());
        LOG.info(
                "autotuned {} {} {} on {} -> {}{} ({} ms, {} candidates)",
                key.op(),
                key.shape(),
                key.types(),
                CudaKernels.deviceName(key.device()),
                best.config(),
                fixed ? " (fixed-geometry copy)" : "",
                String.format("%.4f", best.ms()),
                candidates.size());
        cache.put(key, best.config());
        return best.config();
    }

    /** A configuration and its time. */
    record Choice(LaunchConfig config, double ms) {}

    /** Times a configuration: the median of {@code runs} timed runs after a warm-up, in ms. */
    @FunctionalInterface
    interface Timing {
        /**
         * @param c the configuration
         * @param runs timed runs
         * @return the median in milliseconds
         * @throws IllegalArgumentException if the configuration cannot launch
         */
        double ms(LaunchConfig c, int runs);
    }

    /**
     * The two rounds: every candidate timed with two runs, then the {@link #FINALISTS} fastest with
     * {@link #FINAL_RUNS}; the fastest finalist of the second round wins.
     *
     * @param candidates the configurations
     * @param timing times one (and throws {@link IllegalArgumentException} if it cannot launch)
     * @return the winner with its second-round time, or null if none could launch
     */
    static Choice fastest(List<LaunchConfig> candidates, Timing timing) {
        List<Choice> first = new ArrayList<>();
        for (LaunchConfig c : candidates) {
            try {
                first.add(new Choice(c, timing.ms(c, 2)));
            } catch (IllegalArgumentException e) {
                LOG.debug("skipping {}: {}", c, e.getMessage());
            }
        }
        if (first.isEmpty()) {
            return null;
        }
        first.sort(Comparator.comparingDouble(Choice::ms));
        Choice best = null;
        for (Choice f : first.subList(0, Math.min(FINALISTS, first.size()))) {
            Choice again = new Choice(f.config(), timing.ms(f.config(), FINAL_RUNS));
            if (best == null || again.ms() < best.ms()) {
                best = again;
            }
        }
        return best;
    }
}
