package dev.vmamba.core.scan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Cross-merge (spec §4.2): folds the four directional output sequences back onto the pixel grid and
 * sums them, the exact adjoint of {@link CrossScan}. The float summation order is the official
 * PyTorch one, {@code (ys0 + flip(ys2)) + T(ys1 + flip(ys3))}.
 */
public final class CrossMerge {

    private CrossMerge() {}

    /**
     * Channel-first cross-merge.
     *
     * @param ys {@code (B, 4, C, L)} (or {@code (B, 4, C, H, W)}, the trailing axes being only a
     *     view of the sequence axis)
     * @param height H
     * @param width W
     * @param mode the directions
     * @return {@code (B, C, L)} in pixel order
     */
    public static NDArray merge(NDArray ys, long height, long width, ScanMode mode) {
        Shape s = ys.getShape();
        long l = height * width;
        if (s.dimension() < 4 || s.get(1) != 4 || s.size() != s.get(0) * 4 * s.get(2) * l) {
            throw new IllegalArgumentException(
                    "cross-merge expects (B, 4, C, " + height + "·" + width + "), got " + s);
        }
        long b = s.get(0);
        long c = s.get(2);
        NDArray seq = ys.reshape(b, 4, c, l);
        NDArray y0 = seq.get(":, 0");
        NDArray y1 = seq.get(":, 1");
        NDArray y2 = seq.get(":, 2");
        NDArray y3 = seq.get(":, 3");
        switch (mode) {
            case CROSS2D:
                {
                    NDArray rows = y0.add(y2.flip(2));
                    NDArray cols =
                            y1.add(y3.flip(2))
                                    .reshape(b, c, width, height)
                                    .transpose(0, 1, 3, 2)
                                    .reshape(b, c, l);
                    return rows.add(cols);
                }
            case UNIDI:
                return y0.add(y1).add(y2).add(y3);
            case BIDI:
                return y0.add(y1).add(y2.add(y3).flip(2));
            default:
                throw new AssertionError(mode);
        }
    }

    /**
     * Channel-last cross-merge.
     *
     * @param ys {@code (B, H, W, 4, C)} or {@code (B, L, 4, C)}
     * @param height H
     * @param width W
     * @param mode the directions
     * @return {@code (B, L, C)}
     */
    public static NDArray mergeChannelLast(NDArray ys, long height, long width, ScanMode mode) {
        Shape s = ys.getShape();
        long c = s.get(s.dimension() - 1);
        NDArray seq = ys.reshape(s.get(0), height * width, 4, c);
        return merge(seq.transpose(0, 2, 3, 1), height, width, mode).transpose(0, 2, 1);
    }
}
