package dev.vmamba.models.image;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image files with the JDK's decoders (JPEG, PNG, BMP, GIF, TIFF, WBMP), checking the
 * declared size before decoding and the bit depth after, so that a bad file gives a clear {@link
 * IllegalArgumentException} rather than an {@link OutOfMemoryError} or a silently wrong input.
 */
public final class ImageFiles {

    private ImageFiles() {}

    /**
     * Reads an image file.
     *
     * @param file the file
     * @return the decoded image (8 bits per channel)
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if it is not a decodable image, is too large or has more
     *     than 8 bits per channel
     */
    public static BufferedImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("image file not found: " + file);
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new IOException("cannot open " + file);
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IllegalArgumentException(
                        file
                                + " is not an image in a format the JDK can decode (JPEG, PNG, BMP,"
                                + " GIF, TIFF, WBMP)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                RgbImage.checkSize(reader.getWidth(0), reader.getHeight(0), file.toString());
                BufferedImage image = reader.read(0);
                checkDepth(image, file);
                return image;
            } catch (IOException | RuntimeException e) {
                if (e instanceof IllegalArgumentException) {
                    throw e;
                }
                throw new IllegalArgumentException(
                        file
                                + " could not be decoded as "
                                + reader.getFormatName()
                                + ": "
                                + e.getMessage(),
                        e);
            } finally {
                reader.dispose();
            }
        }
    }

    /**
     * Reads an image file as a DJL {@link Image}.
     *
     * @param file the file
     * @return the image
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if it is not an acceptable image
     */
    public static Image readImage(Path file) throws IOException {
        return ImageFactory.getInstance().fromImage(read(file));
    }

    private static void checkDepth(BufferedImage image, Path file) {
        for (int b : image.getColorModel().getComponentSize()) {
            if (b > 8) {
                throw new IllegalArgumentException(
                        file
                                + " has "
                                + b
                                + " bits per channel; only 8-bit images are supported (convert it"
                                + " to 8-bit RGB first)");
            }
        }
    }
}
