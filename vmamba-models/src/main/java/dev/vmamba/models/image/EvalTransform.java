package dev.vmamba.models.image;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * The official evaluation preprocessing (spec §9, {@code classification/data/build.py}): resize the
 * shorter side to {@code resize} with Pillow's bicubic filter, centre-crop {@code crop × crop},
 * scale to [0, 1] and normalise with the ImageNet mean and standard deviation. The result is a
 * {@code (3, crop, crop)} float32 tensor, channels RGB.
 *
 * <p>{@code resize = 0} is the official {@code TEST.CROP = False} variant: the image is resized to
 * {@code crop × crop} directly, ignoring its aspect ratio.
 *
 * @param resize the shorter side after resizing (official: {@code int(256 / 224 · crop)}), or 0
 * @param crop the side of the centre crop (the model's input size)
 * @param filter the resampling filter (official: bicubic)
 * @param mean per-channel mean of the [0, 1] values
 * @param std per-channel standard deviation
 */
public record EvalTransform(
        int resize, int crop, PillowResample.Filter filter, float[] mean, float[] std) {

    /** ImageNet channel means (RGB). */
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};

    /** ImageNet channel standard deviations (RGB). */
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    public EvalTransform {
        Objects.requireNonNull(filter, "filter");
        if (crop < 1 || resize < 0) {
            throw new IllegalArgumentException(
                    "crop must be positive and resize non-negative, got crop "
                            + crop
                            + ", resize "
                            + resize);
        }
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 values (RGB)");
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std values must be positive");
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /**
     * @return the official transform: resize 256, crop 224, bicubic, ImageNet statistics
     */
    public static EvalTransform official() {
        return forCrop(224);
    }

    /**
     * The official transform for another input size.
     *
     * @param crop the model's input side
     * @return resize {@code int(256 / 224 · crop)}, bicubic, ImageNet statistics
     */
    public static EvalTransform forCrop(int crop) {
        return new EvalTransform(
                (int) ((256.0 / 224) * crop),
                crop,
                PillowResample.Filter.BICUBIC,
                IMAGENET_MEAN,
                IMAGENET_STD);
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    /**
     * The size torchvision's {@code Resize(resize)} gives an image: the shorter side becomes {@code
     * resize}, the longer one {@code int(resize · long / short)}.
     *
     * @param width input width
     * @param height input height
     * @return {@code {width, height}} after resizing
     */
    public int[] resizedSize(int width, int height) {
        if (resize == 0) {
            return new int[] {crop, crop};
        }
        if (width <= height) {
            return new int[] {resize, (int) ((double) ((long) resize * height) / width)};
        }
        return new int[] {(int) ((double) ((long) resize * width) / height), resize};
    }

    /**
     * Applies the transform.
     *
     * @param image the RGB image
     * @param manager owner of the result
     * @return {@code (3, crop, crop)} float32
     */
    public NDArray apply(RgbImage image, NDManager manager) {
        return manager.create(FloatBuffer.wrap(toChw(image)), new Shape(3, crop, crop));
    }

    /**
     * Applies the transform into a Java array.
     *
     * @param image the RGB image
     * @return {@code 3·crop·crop} floats, channel-major (CHW)
     */
    public float[] toChw(RgbImage image) {
        int[] size = resizedSize(image.width(), image.height());
        int w = size[0];
        int h = size[1];
        byte[] px =
                w == image.width() && h == image.height()
                        ? image.pixels()
                        : PillowResample.resize(
                                image.pixels(), image.width(), image.height(), 3, w, h, filter);
        // torchvision center_crop: pad with zeros when too small, then round((size - crop) / 2)
        int padLeft = w < crop ? (crop - w) / 2 : 0;
        int padTop = h < crop ? (crop - h) / 2 : 0;
        int paddedW = Math.max(w, crop);
        int paddedH = Math.max(h, crop);
        int left = (int) Math.rint((paddedW - crop) / 2.0);
        int top = (int) Math.rint((paddedH - crop) / 2.0);
        float[] out = new float[3 * crop * crop];
        int plane = crop * crop;
        for (int y = 0; y < crop; y++) {
            int sy = y + top - padTop;
            for (int x = 0; x < crop; x++) {
                int sx = x + left - padLeft;
                boolean inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
                for (int c = 0; c < 3; c++) {
                    float v = inside ? (px[(sy * w + sx) * 3 + c] & 0xFF) / 255f : 0f;
                    out[c * plane + y * crop + x] = (v - mean[c]) / std[c];
                }
            }
        }
        return out;
    }
}
