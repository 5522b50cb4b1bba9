package dev.vmamba.kernels;

import ai.djl.Device;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses a launch configuration per (device, operation, shape, dtype, forced fields) by timing the
 * candidates of {@link LaunchConfigs#candidates} on the caller's own inputs with CUDA events (one
 * warm-up, median of two), and caches the winner for the life of the process. Candidates that
 * cannot launch (too many registers for their block size) are skipped.
 */
public final class ScanAutotuner {

    private static final Logger LOG = LoggerFactory.getLogger(ScanAutotuner.class);
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
        LaunchConfig best = null;
        double bestMs = Double.MAX_VALUE;
        try (GpuTimer timer = new GpuTimer(device)) {
            for (LaunchConfig c : candidates) {
                double ms;
                try {
                    ms = timer.median(1, 2, () -> trial.accept(c));
                } catch (IllegalArgumentException e) {
                    LOG.debug("skipping {}: {}", c, e.getMessage());
                    continue;
                }
                LOG.debug("{}: {} ms with {}", key, ms, c);
                if (ms < bestMs) {
                    bestMs = ms;
                    best = c;
                }
            }
        }
        if (best == null) {
            throw new IllegalArgumentException(
                    "no candidate configuration could launch for " + key);
        }
        LOG.info(
                "autotuned {} {} {} on {} -> {} ({} ms, {} candidates)",
                key.op(),
                key.shape(),
                key.types(),
                CudaKernels.deviceName(key.device()),
                best,
                String.format("%.4f", bestMs),
                candidates.size());
        cache.put(key, best);
        return best;
    }
}
