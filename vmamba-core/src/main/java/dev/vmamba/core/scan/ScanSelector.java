package dev.vmamba.core.scan;

import ai.djl.ndarray.NDArray;

/** Picks the selective scan for one call of an SS2D module. */
@FunctionalInterface
public interface ScanSelector {

    /**
     * @param x the SS2D input (its device and whether it carries gradients matter)
     * @param training whether this is a training pass
     * @return the scan to run
     */
    SelectiveScan select(NDArray x, boolean training);

    /**
     * A selector that resolves a configured backend per call: {@link ScanBackend#AUTO} picks by
     * device and by whether gradients are needed (training, or an input that requires gradients
     * inside a gradient collector).
     *
     * @param backend the configured backend
     * @return the selector
     */
    static ScanSelector of(java.util.function.Supplier<ScanBackend> backend) {
        return (x, training) ->
                SelectiveScans.resolve(backend.get(), x.getDevice(), training || x.hasGradient());
    }
}
