package dev.vmamba.core.scan;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/**
 * The arguments of one selective scan (spec §5.1), validated on construction so that every backend
 * (NDArray, Java, CUDA) sees consistent shapes, dtypes and devices.
 *
 * <p>Shapes: {@code u, delta (Bt, C, L)}; {@code A (C, N)}; {@code B, C (Bt, G, N, L)} where
 * channel {@code c} uses group {@code c / (C/G)}; {@code D, deltaBias (C)} or absent. In VMamba
 * {@code C = K·d_inner} and {@code G = K = 4}.
 *
 * @param u the input sequence {@code (Bt, C, L)}
 * @param delta the step sizes before bias and softplus {@code (Bt, C, L)}
 * @param a the (negative) state matrix diagonal {@code (C, N)}, float32
 * @param b the input projections {@code (Bt, G, N, L)}
 * @param c the output projections {@code (Bt, G, N, L)}
 * @param d the skip weights {@code (C)}, float32, or null
 * @param deltaBias the step-size bias {@code (C)}, float32, or null
 * @param deltaSoftplus whether {@code softplus} (threshold 20) is applied to {@code delta + bias}
 */
public record ScanInputs(
        NDArray u,
        NDArray delta,
        NDArray a,
        NDArray b,
        NDArray c,
        NDArray d,
        NDArray deltaBias,
        boolean deltaSoftplus) {

    /** Largest state size the kernels support. */
    public static final int MAX_D_STATE = 256;

    /** Validates shapes, dtypes and devices; every message names the argument. */
    public ScanInputs {
        Objects.requireNonNull(u, "u");
        Objects.requireNonNull(delta, "delta");
        Objects.requireNonNull(a, "A");
        Objects.requireNonNull(b, "B");
        Objects.requireNonNull(c, "C");
        Shape us = u.getShape();
        if (us.dimension() != 3) {
            throw new IllegalArgumentException("u must be (Bt, C, L), got " + us);
        }
        long batch = us.get(0);
        long channels = us.get(1);
        long length = us.get(2);
        if (batch < 1 || channels < 1 || length < 1) {
            throw new IllegalArgumentException("u must have non-empty axes, got " + us);
        }
        if (!delta.getShape().equals(us)) {
            throw new IllegalArgumentException(
                    "delta must have u's shape " + us + ", got " + delta.getShape());
        }
        Shape as = a.getShape();
        if (as.dimension() != 2 || as.get(0) != channels) {
            throw new IllegalArgumentException("A must be (C=" + channels + ", N), got " + as);
        }
        long n = as.get(1);
        if (n < 1 || n > MAX_D_STATE) {
            throw new IllegalArgumentException(
                    "d_state N must be in 1.." + MAX_D_STATE + ", got " + n);
        }
        Shape bs = b.getShape();
        if (bs.dimension() != 4 || bs.get(0) != batch || bs.get(2) != n || bs.get(3) != length) {
            throw new IllegalArgumentException(
                    "B must be (Bt=" + batch + ", G, N=" + n + ", L=" + length + "), got " + bs);
        }
        long groups = bs.get(1);
        if (groups < 1 || channels % groups != 0) {
            throw new IllegalArgumentException(
                    "B's group count " + groups + " must divide the channel count " + channels);
        }
        if (!c.getShape().equals(bs)) {
            throw new IllegalArgumentException(
                    "C must have B's shape " + bs + ", got " + c.getShape());
        }
        if (d != null && !d.getShape().equals(new Shape(channels))) {
            throw new IllegalArgumentException(
                    "D must be (C=" + channels + "), got " + d.getShape());
        }
        if (deltaBias != null && !deltaBias.getShape().equals(new Shape(channels))) {
            throw new IllegalArgumentException(
                    "delta_bias must be (C=" + channels + "), got " + deltaBias.getShape());
        }
        requireFloat("u", u, true);
        requireFloat("delta", delta, true);
        requireFloat("B", b, true);
        requireFloat("C", c, true);
        requireFloat("A", a, false);
        if (d != null) {
            requireFloat("D", d, false);
        }
        if (deltaBias != null) {
            requireFloat("delta_bias", deltaBias, false);
        }
        if (u.getDataType() != delta.getDataType()) {
            throw new IllegalArgumentException(
                    "u and delta must share a dtype, got "
                            + u.getDataType()
                            + " and "
                            + delta.getDataType());
        }
        Device device = u.getDevice();
        NDArray[] all = {delta, a, b, c, d, deltaBias};
        String[] names = {"delta", "A", "B", "C", "D", "delta_bias"};
        for (int i = 0; i < all.length; i++) {
            if (all[i] != null && !all[i].getDevice().equals(device)) {
                throw new IllegalArgumentException(
                        names[i] + " is on " + all[i].getDevice() + " but u is on " + device);
            }
        }
    }

    private static void requireFloat(String name, NDArray x, boolean halfAllowed) {
        DataType t = x.getDataType();
        boolean ok =
                t == DataType.FLOAT32
                        || halfAllowed && (t == DataType.FLOAT16 || t == DataType.BFLOAT16);
        if (!ok) {
            throw new IllegalArgumentException(
                    name
                            + " must be float32"
                            + (halfAllowed ? ", float16 or bfloat16" : "")
                            + ", got "
                            + t);
        }
    }

    /**
     * @return Bt
     */
    public int batch() {
        return Math.toIntExact(u.getShape().get(0));
    }

    /**
     * @return C, the channel count
     */
    public int channels() {
        return Math.toIntExact(u.getShape().get(1));
    }

    /**
     * @return L
     */
    public int length() {
        return Math.toIntExact(u.getShape().get(2));
    }

    /**
     * @return G
     */
    public int groups() {
        return Math.toIntExact(b.getShape().get(1));
    }

    /**
     * @return N
     */
    public int dState() {
        return Math.toIntExact(a.getShape().get(1));
    }

    /**
     * @return C / G
     */
    public int channelsPerGroup() {
        return channels() / groups();
    }

    /**
     * @return the device all arguments live on
     */
    public Device device() {
        return u.getDevice();
    }
}
