package dev.vmamba.core.scan;

import java.util.Locale;

/** Which selective-scan implementation a model uses. */
public enum ScanBackend {
    /**
     * Picks per call and logs the choice once: {@link #JAVA} for CPU inference, {@link #CUDA} for
     * GPU inference when the kernels are present, {@link #NDARRAY} otherwise (and whenever
     * gradients are needed, since it is the one DJL can differentiate).
     */
    AUTO,
    /**
     * Multi-threaded Java on float arrays (CPU only; vectorised when the Vector API is present).
     */
    JAVA,
    /** Sequential recurrence in NDArray operations: any engine and device, differentiable. */
    NDARRAY,
    /** The CUDA kernels of {@code vmamba-kernels} (GPU only). */
    CUDA;

    /**
     * Decodes a command-line spelling ({@code auto}, {@code java} or {@code cpu}, {@code ndarray},
     * {@code cuda}).
     *
     * @param s the spelling
     * @return the backend
     */
    public static ScanBackend parse(String s) {
        String n = s.toLowerCase(Locale.ROOT);
        if (n.equals("cpu")) {
            return JAVA;
        }
        for (ScanBackend b : values()) {
            if (b.name().toLowerCase(Locale.ROOT).equals(n)) {
                return b;
            }
        }
        throw new IllegalArgumentException(
                "unknown scan backend '" + s + "' (expected auto, cpu, java, ndarray or cuda)");
    }
}
