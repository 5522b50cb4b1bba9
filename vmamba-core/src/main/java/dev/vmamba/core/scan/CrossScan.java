package dev.vmamba.core.scan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

/**
 * Cross-scan (spec §4.1): unfolds a 2-D map into four 1-D sequences, one per scan direction, so a
 * 1-D selective scan sees every pixel from four sides. For {@link ScanMode#CROSS2D}: row-major,
 * column-major, and both reversed. {@link CrossMerge} is its exact adjoint.
 */
public final class CrossScan {

    private CrossScan() {}

    /**
     * Channel-first cross-scan.
     *
     * @param x {@code (B, C, H, W)}
     * @param mode the directions
     * @return {@code (B, 4, C, L)} with {@code L = H·W}
     */
    public static NDArray scan(NDArray x, ScanMode mode) {
        Shape s = x.getShape();
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("cross-scan expects (B, C, H, W), got " + s);
        }
        long b = s.get(0);
        long c = s.get(1);
        long l = s.get(2) * s.get(3);
        NDArray row = x.reshape(b, c, l);
        NDArray second = mode == ScanMode.CROSS2D ? x.transpose(0, 1, 3, 2).reshape(b, c, l) : row;
        NDArray third = mode == ScanMode.UNIDI ? row : row.flip(2);
        NDArray fourth = mode == ScanMode.UNIDI ? second : second.flip(2);
        if (mode == ScanMode.BIDI) {
            fourth = third;
        }
        return NDArrays.stack(new NDList(row, second, third, fourth), 1);
    }

    /**
     * Channel-last cross-scan.
     *
     * @param x {@code (B, H, W, C)}
     * @param mode the directions
     * @return {@code (B, L, 4, C)}
     */
    public static NDArray scanChannelLast(NDArray x, ScanMode mode) {
        Shape s = x.getShape();
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("cross-scan expects (B, H, W, C), got " + s);
        }
        return scan(x.transpose(0, 3, 1, 2), mode).transpose(0, 3, 1, 2);
    }

    /**
     * Per-direction cross-scan (the official "one by one" variant): direction {@code k} reads its
     * own map {@code x[:, k]}.
     *
     * @param x {@code (B, K, C, H, W)}
     * @param mode the directions
     * @return {@code (B, K, C, L)}
     */
    public static NDArray scanEach(NDArray x, ScanMode mode) {
        Shape s = x.getShape();
        if (s.dimension() != 5 || s.get(1) != 4) {
            throw new IllegalArgumentException(
                    "per-direction cross-scan expects (B, 4, C, H, W), got " + s);
        }
        long b = s.get(0);
        long c = s.get(2);
        long l = s.get(3) * s.get(4);
        NDList dirs = new NDList(4);
        for (int k = 0; k < 4; k++) {
            NDArray xk = x.get(":, " + k);
            boolean transposed = mode == ScanMode.CROSS2D && (k == 1 || k == 3);
            boolean reversed = mode == ScanMode.CROSS2D ? k >= 2 : mode == ScanMode.BIDI && k >= 2;
            NDArray seq =
                    transposed ? xk.transpose(0, 1, 3, 2).reshape(b, c, l) : xk.reshape(b, c, l);
            dirs.add(reversed ? seq.flip(2) : seq);
        }
        return NDArrays.stack(dirs, 1);
    }

    /**
     * The index map of the directions: {@code xs[:, k, :, l] = x_flat[:, :, index[k][l]]} with the
     * flat pixel index {@code h·W + w}.
     *
     * @param height H
     * @param width W
     * @param mode the directions
     * @return {@code [4][L]}
     */
    public static long[][] indexMap(int height, int width, ScanMode mode) {
        int l = height * width;
        long[] row = new long[l];
        long[] col = new long[l];
        for (int i = 0; i < l; i++) {
            row[i] = i;
            col[i] = (long) (i % height) * width + i / height;
        }
        long[] rowRev = reversed(row);
        long[] colRev = reversed(col);
        switch (mode) {
            case CROSS2D:
                return new long[][] {row, col, rowRev, colRev};
            case UNIDI:
                return new long[][] {row, row.clone(), row.clone(), row.clone()};
            case BIDI:
                return new long[][] {row, row.clone(), rowRev, rowRev.clone()};
            default:
                throw new AssertionError(mode);
        }
    }

    private static long[] reversed(long[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[a.length - 1 - i];
        }
        return r;
    }
}
