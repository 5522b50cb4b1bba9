package dev.vmamba.core.scan;

/**
 * Service-provider interface through which optional modules (the CUDA kernels of {@code
 * vmamba-kernels}) add a selective-scan backend. Implementations are found with {@link
 * java.util.ServiceLoader}; core never depends on them.
 */
public interface SelectiveScanProvider {

    /**
     * @return the backend this provider implements
     */
    ScanBackend backend();

    /**
     * Whether the backend can run here (e.g. kernels compiled into the jar and a CUDA driver
     * present).
     *
     * @return true if {@link #create()} will succeed
     */
    boolean isAvailable();

    /**
     * @return why the backend is not available (shown to users), or an empty string
     */
    String unavailableReason();

    /**
     * Creates the scan.
     *
     * @return the scan
     * @throws UnsupportedOperationException if not available, with {@link #unavailableReason()}
     */
    SelectiveScan create();
}
