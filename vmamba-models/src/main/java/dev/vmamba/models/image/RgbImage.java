package dev.vmamba.models.image;

import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.Raster;

/**
 * An 8-bit RGB image as interleaved bytes, converted the way PIL's {@code convert('RGB')} does it
 * in the official data loader: grayscale values are replicated to the three channels, palettes are
 * resolved, alpha is dropped (not composited).
 *
 * <p>Images with more than 8 bits per channel (16-bit PNGs, for example) are rejected: PIL would
 * clip or truncate them silently, which is not an input the published accuracy was measured on.
 *
 * @param width width in pixels
 * @param height height in pixels
 * @param pixels {@code height·width·3} bytes, row-major, RGB interleaved
 */
public record RgbImage(int width, int height, byte[] pixels) {

    /** Largest image accepted, in pixels (PIL's decompression-bomb error threshold). */
    public static final long MAX_PIXELS = 2L * 89_478_485L;

    public RgbImage {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("empty image " + width + "x" + height);
        }
        if ((long) width * height * 3 != pixels.length) {
            throw new IllegalArgumentException(
                    "RGB image "
                            + width
                            + "x"
                            + height
                            + " needs "
                            + (long) width * height * 3
                            + " bytes, got "
                            + pixels.length);
        }
    }

    /**
     * Checks that an image's size is acceptable before it is decoded or converted.
     *
     * @param width width in pixels
     * @param height height in pixels
     * @param what the image, for the message
     * @throws IllegalArgumentException if it is empty or larger than {@link #MAX_PIXELS}
     */
    static void checkSize(long width, long height, String what) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException(what + " is empty (" + width + "x" + height + ")");
        }
        if (width * height > MAX_PIXELS) {
            throw new IllegalArgumentException(
                    what
                            + " has "
                            + width * height
                            + " pixels ("
                            + width
                            + "x"
                            + height
                            + "), more than the "
                            + MAX_PIXELS
                            + " accepted");
        }
    }

    /**
     * Converts a decoded image.
     *
     * @param image a Java image
     * @return its RGB bytes
     * @throws IllegalArgumentException for images with more than 8 bits per channel or of
     *     unacceptable size
     */
    public static RgbImage of(BufferedImage image) {
        checkSize(image.getWidth(), image.getHeight(), "the image");
        ColorModel cm = image.getColorModel();
        int[] bits = cm.getComponentSize();
        for (int b : bits) {
            if (b > 8) {
                throw new IllegalArgumentException(
                        "the image has "
                                + b
                                + " bits per channel; only 8-bit images are supported (convert it"
                                + " to 8-bit RGB first)");
            }
        }
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[w * h * 3];
        if (cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY
                && cm.getNumColorComponents() == 1) {
            // raw gray samples, replicated (Java's getRGB would apply a gamma conversion)
            Raster r = image.getRaster();
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    byte g = (byte) (row[x] * 255 / ((1 << bits[0]) - 1));
                    int p = (y * w + x) * 3;
                    out[p] = g;
                    out[p + 1] = g;
                    out[p + 2] = g;
                }
            }
        } else {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                image.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int p = (y * w + x) * 3;
                    out[p] = (byte) (row[x] >> 16);
                    out[p + 1] = (byte) (row[x] >> 8);
                    out[p + 2] = (byte) row[x];
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /**
     * Converts a DJL image.
     *
     * @param image the image (a wrapped {@link BufferedImage} is converted directly; other
     *     implementations through {@link Image#toNDArray})
     * @param manager for the temporary array of non-{@link BufferedImage} images
     * @return its RGB bytes
     */
    public static RgbImage of(Image image, NDManager manager) {
        Object wrapped = image.getWrappedImage();
        if (wrapped instanceof BufferedImage) {
            return of((BufferedImage) wrapped);
        }
        checkSize(image.getWidth(), image.getHeight(), "the image");
        try (NDArray a = image.toNDArray(manager, Image.Flag.COLOR)) {
            return new RgbImage(image.getWidth(), image.getHeight(), a.toByteArray());
        }
    }
}
