package dev.vmamba.kernels;

/** The operations the kernels implement; launch configurations are chosen per operation. */
public enum ScanOp {
    /** Selective scan forward: y and optionally the last state. */
    FORWARD,
    /** Selective scan backward: the seven gradients from dy. */
    BACKWARD,
    /** Fused cross-scan, forward over the four directions and cross-merge (SS2D core). */
    CROSS_FORWARD
}
