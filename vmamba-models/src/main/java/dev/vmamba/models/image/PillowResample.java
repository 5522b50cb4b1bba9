package dev.vmamba.models.image;

/**
 * Resampling of 8-bit images exactly as Pillow's {@code Image.resize} computes it (the filter
 * support grows with the downscaling factor, i.e. antialiasing; a horizontal pass then a vertical
 * pass, each in 22-bit fixed point with rounding and clipping to 0..255). torchvision's {@code
 * Resize} on PIL images, which the official evaluation uses, is this function.
 *
 * <p>Pillow releases up to the time of the official runs always resample horizontally first; the
 * newest Pillow development code runs the vertical pass first unless the width shrinks much more
 * than the height, which can move single pixels by one level (after rounding). This class keeps the
 * horizontal-first order.
 */
public final class PillowResample {

    /** Fixed-point precision of Pillow's 8-bit resampling ({@code 32 - 8 - 2}). */
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private PillowResample() {}

    /** Pillow's resampling filters (all but NEAREST, which Pillow computes differently). */
    public enum Filter {
        /** {@code Image.BOX}. */
        BOX(0.5),
        /** {@code Image.BILINEAR} (triangle). */
        BILINEAR(1.0),
        /** {@code Image.HAMMING}. */
        HAMMING(1.0),
        /** {@code Image.BICUBIC} (Keys cubic, a = -0.5). */
        BICUBIC(2.0),
        /** {@code Image.LANCZOS} (3 lobes). */
        LANCZOS(3.0);

        private final double support;

        Filter(double support) {
            this.support = support;
        }

        /**
         * @return the filter's half-width at scale 1
         */
        public double support() {
            return support;
        }

        double weight(double x) {
            switch (this) {
                case BOX:
                    return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
                case BILINEAR:
                    x = Math.abs(x);
                    return x < 1.0 ? 1.0 - x : 0.0;
                case HAMMING:
                    x = Math.abs(x);
                    if (x == 0.0) {
                        return 1.0;
                    }
                    if (x >= 1.0) {
                        return 0.0;
                    }
                    x *= Math.PI;
                    return Math.sin(x) / x * (0.54 + 0.46 * Math.cos(x));
                case BICUBIC:
                    {
                        final double a = -0.5;
                        x = Math.abs(x);
                        if (x < 1.0) {
                            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                        }
                        if (x < 2.0) {
                            return (((x - 5) * x + 8) * x - 4) * a;
                        }
                        return 0.0;
                    }
                case LANCZOS:
                    return x >= -3.0 && x < 3.0 ? sinc(x) * sinc(x / 3.0) : 0.0;
                default:
                    throw new AssertionError(this);
            }
        }

        private static double sinc(double x) {
            if (x == 0.0) {
                return 1.0;
            }
            x *= Math.PI;
            return Math.sin(x) / x;
        }
    }

    /** Per output pixel: first input index, tap count and fixed-point taps. */
    private record Coefficients(int ksize, int[] bounds, int[] taps) {}

    private static Coefficients coefficients(int inSize, int outSize, Filter filter) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support() * filterScale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] bounds = new int[outSize * 2];
        int[] taps = new int[outSize * ksize];
        double[] k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) {
                xmin = 0;
            }
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) {
                xmax = inSize;
            }
            xmax -= xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++) {
                double w = filter.weight((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < ksize; x++) {
                double w = x < xmax ? (ww != 0.0 ? k[x] / ww : k[x]) : 0.0;
                taps[xx * ksize + x] =
                        w < 0
                                ? (int) (-0.5 + w * (1 << PRECISION_BITS))
                                : (int) (0.5 + w * (1 << PRECISION_BITS));
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return new Coefficients(ksize, bounds, taps);
    }

    private static int clip8(int v) {
        if (v >= (1 << PRECISION_BITS << 8)) {
            return 255;
        }
        if (v <= 0) {
            return 0;
        }
        return v >> PRECISION_BITS;
    }

    /**
     * Resizes an interleaved 8-bit image.
     *
     * @param pixels {@code height·width·channels} bytes, row-major, channels interleaved
     * @param width input width
     * @param height input height
     * @param channels interleaved channels (3 for RGB)
     * @param outWidth output width
     * @param outHeight output height
     * @param filter the resampling filter
     * @return the resized image in the same layout
     */
    public static byte[] resize(
            byte[] pixels,
            int width,
            int height,
            int channels,
            int outWidth,
            int outHeight,
            Filter filter) {
        if (width < 1 || height < 1 || outWidth < 1 || outHeight < 1 || channels < 1) {
            throw new IllegalArgumentException(
                    "cannot resize " + width + "x" + height + " to " + outWidth + "x" + outHeight);
        }
        if ((long) width * height * channels != pixels.length) {
            throw new IllegalArgumentException(
                    "expected "
                            + (long) width * height * channels
                            + " bytes for "
                            + width
                            + "x"
                            + height
                            + "x"
                            + channels
                            + ", got "
                            + pixels.length);
        }
        byte[] cur = pixels;
        int curW = width;
        if (outWidth != width) {
            cur = horizontal(cur, width, height, channels, outWidth, filter);
            curW = outWidth;
        }
        if (outHeight != height) {
            cur = vertical(cur, curW, height, channels, outHeight, filter);
        }
        return cur == pixels ? pixels.clone() : cur;
    }

    private static byte[] horizontal(byte[] in, int w, int h, int ch, int outW, Filter filter) {
        Coefficients c = coefficients(w, outW, filter);
        byte[] out = new byte[outW * h * ch];
        int[] ss = new int[ch];
        for (int y = 0; y < h; y++) {
            int rowIn = y * w * ch;
            int rowOut = y * outW * ch;
            for (int xx = 0; xx < outW; xx++) {
                int xmin = c.bounds[xx * 2];
                int xmax = c.bounds[xx * 2 + 1];
                int kOff = xx * c.ksize;
                java.util.Arrays.fill(ss, 1 << (PRECISION_BITS - 1));
                for (int x = 0; x < xmax; x++) {
                    int tap = c.taps[kOff + x];
                    int p = rowIn + (x + xmin) * ch;
                    for (int b = 0; b < ch; b++) {
                        ss[b] += (in[p + b] & 0xFF) * tap;
                    }
                }
                for (int b = 0; b < ch; b++) {
                    out[rowOut + xx * ch + b] = (byte) clip8(ss[b]);
                }
            }
        }
        return out;
    }

    private static byte[] vertical(byte[] in, int w, int h, int ch, int outH, Filter filter) {
        Coefficients c = coefficients(h, outH, filter);
        byte[] out = new byte[w * outH * ch];
        int stride = w * ch;
        for (int yy = 0; yy < outH; yy++) {
            int ymin = c.bounds[yy * 2];
            int ymax = c.bounds[yy * 2 + 1];
            int kOff = yy * c.ksize;
            for (int i = 0; i < stride; i++) {
                int ss = 1 << (PRECISION_BITS - 1);
                for (int y = 0; y < ymax; y++) {
                    ss += (in[(y + ymin) * stride + i] & 0xFF) * c.taps[kOff + y];
                }
                out[yy * stride + i] = (byte) clip8(ss);
            }
        }
        return out;
    }
}
