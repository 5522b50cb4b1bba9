package dev.vmamba.core.scan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/**
 * The arguments of a fused cross-scan → selective scan → cross-merge (the SS2D core, spec §3.4
 * steps 3–7), with every per-direction input in <em>pixel order</em>: direction {@code k} reads
 * pixel {@code index[k][t]} at step {@code t} (see {@link CrossScan#indexMap}). Keeping the inputs
 * in pixel order lets a backend read the activations once instead of materialising four permuted
 * copies, and write the merged output directly.
 *
 * @param u the activations {@code (B, D, H, W)}, shared by the four directions
 * @param delta per-direction step sizes before bias/softplus {@code (B, K, D, L)}, pixel order
 * @param a the state matrix diagonal {@code (K·D, N)}, float32; channel {@code k·D + d}
 * @param b per-direction input projections {@code (B, K, N, L)}, pixel order
 * @param c per-direction output projections {@code (B, K, N, L)}, pixel order
 * @param d skip weights {@code (K·D)} or null
 * @param deltaBias step-size bias {@code (K·D)} or null
 * @param deltaSoftplus whether softplus (threshold 20) is applied to {@code delta + bias}
 * @param mode the scan directions
 */
public record CrossScanInputs(
        NDArray u,
        NDArray delta,
        NDArray a,
        NDArray b,
        NDArray c,
        NDArray d,
        NDArray deltaBias,
        boolean deltaSoftplus,
        ScanMode mode) {

    /** Directions per scan. */
    public static final int K = 4;

    /**
     * Validates the shapes against {@code u}; element types and devices are checked by the scan.
     */
    public CrossScanInputs {
        Objects.requireNonNull(u, "u");
        Objects.requireNonNull(delta, "delta");
        Objects.requireNonNull(a, "A");
        Objects.requireNonNull(b, "B");
        Objects.requireNonNull(c, "C");
        Objects.requireNonNull(mode, "mode");
        Shape us = u.getShape();
        if (us.dimension() != 4) {
            throw new IllegalArgumentException("u must be (B, D, H, W), got " + us);
        }
        long batch = us.get(0);
        long dim = us.get(1);
        long len = us.get(2) * us.get(3);
        Shape ds = new Shape(batch, K, dim, len);
        if (!delta.getShape().equals(ds)) {
            throw new IllegalArgumentException("delta must be " + ds + ", got " + delta.getShape());
        }
        if (a.getShape().dimension() != 2 || a.getShape().get(0) != K * dim) {
            throw new IllegalArgumentException(
                    "A must be (K·D = " + K * dim + ", N), got " + a.getShape());
        }
        Shape ps = new Shape(batch, K, a.getShape().get(1), len);
        if (!b.getShape().equals(ps)) {
            throw new IllegalArgumentException("B must be " + ps + ", got " + b.getShape());
        }
        if (!c.getShape().equals(ps)) {
            throw new IllegalArgumentException("C must be " + ps + ", got " + c.getShape());
        }
    }

    /**
     * @return B
     */
    public long batch() {
        return u.getShape().get(0);
    }

    /**
     * @return D, channels per direction
     */
    public long dim() {
        return u.getShape().get(1);
    }

    /**
     * @return H
     */
    public long height() {
        return u.getShape().get(2);
    }

    /**
     * @return W
     */
    public long width() {
        return u.getShape().get(3);
    }

    /**
     * Materialises the four directions: the plain {@link ScanInputs} of the equivalent unfused
     * scan, {@code u} and {@code delta} as {@code (B, K·D, L)} in scan order.
     *
     * @return the scan inputs
     */
    public ScanInputs toScanInputs() {
        long bt = batch();
        long dm = dim();
        long h = height();
        long w = width();
        long l = h * w;
        NDArray xs = CrossScan.scan(u, mode).reshape(bt, K * dm, l);
        NDArray dts =
                CrossScan.scanEach(delta.reshape(bt, K, dm, h, w), mode).reshape(bt, K * dm, l);
        long n = a.getShape().get(1);
        NDArray bs = CrossScan.scanEach(b.reshape(bt, K, n, h, w), mode);
        NDArray cs = CrossScan.scanEach(c.reshape(bt, K, n, h, w), mode);
        return new ScanInputs(xs, dts, a, bs, cs, d, deltaBias, deltaSoftplus);
    }
}
