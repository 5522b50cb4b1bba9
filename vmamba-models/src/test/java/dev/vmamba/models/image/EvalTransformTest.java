package dev.vmamba.models.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The official evaluation preprocessing: Pillow's resampling rules, torchvision's size and crop
 * arithmetic, normalisation, and image decoding with its bad-input cases (not an image, grayscale,
 * 16-bit PNG, truncated file).
 */
class EvalTransformTest {

    @TempDir Path dir;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @ParameterizedTest
    @EnumSource(PillowResample.Filter.class)
    void constantImagesStayConstantAtAnySize(PillowResample.Filter f) {
        byte[] px = new byte[37 * 23 * 3];
        for (int i = 0; i < px.length; i += 3) {
            px[i] = (byte) 200;
            px[i + 1] = 7;
            px[i + 2] = (byte) 255;
        }
        for (int[] size : new int[][] {{11, 5}, {80, 61}, {37, 9}, {3, 23}}) {
            byte[] out = PillowResample.resize(px, 37, 23, 3, size[0], size[1], f);
            for (int i = 0; i < out.length; i += 3) {
                assertEquals(200, out[i] & 0xFF, f + " " + Arrays.toString(size));
                assertEquals(7, out[i + 1] & 0xFF);
                assertEquals(255, out[i + 2] & 0xFF);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(PillowResample.Filter.class)
    void sameSizeIsTheIdentity(PillowResample.Filter f) {
        byte[] px = random(19 * 13 * 3, 1);
        assertArrayEquals(px, PillowResample.resize(px, 19, 13, 3, 19, 13, f));
    }

    @Test
    void boxHalvingAveragesWithPillowsRounding() {
        int w = 8;
        int h = 6;
        byte[] px = random(w * h, 2);
        byte[] out = PillowResample.resize(px, w, h, 1, w / 2, h / 2, PillowResample.Filter.BOX);
        for (int y = 0; y < h / 2; y++) {
            for (int x = 0; x < w / 2; x++) {
                // horizontal pass then vertical pass, each (a + b + 1) >> 1 in fixed point
                int top =
                        ((px[2 * y * w + 2 * x] & 0xFF) + (px[2 * y * w + 2 * x + 1] & 0xFF) + 1)
                                >> 1;
                int bot =
                        ((px[(2 * y + 1) * w + 2 * x] & 0xFF)
                                        + (px[(2 * y + 1) * w + 2 * x + 1] & 0xFF)
                                        + 1)
                                >> 1;
                assertEquals((top + bot + 1) >> 1, out[y * (w / 2) + x] & 0xFF);
            }
        }
    }

    @Test
    void bicubicUpscalingFollowsARampAndIsSymmetric() {
        int w = 16;
        byte[] ramp = new byte[w];
        for (int x = 0; x < w; x++) {
            ramp[x] = (byte) (10 + 15 * x);
        }
        byte[] out = PillowResample.resize(ramp, w, 1, 1, 48, 1, PillowResample.Filter.BICUBIC);
        for (int x = 6; x < 42; x++) {
            double expected = 10 + 15 * ((x + 0.5) / 3.0 - 0.5);
            assertEquals(expected, out[x] & 0xFF, 1.0, "x=" + x);
        }
        byte[] sym = {0, 50, (byte) 250, 50, 0};
        byte[] s = PillowResample.resize(sym, 5, 1, 1, 13, 1, PillowResample.Filter.BICUBIC);
        for (int i = 0; i < 13; i++) {
            assertEquals(s[i], s[12 - i]);
        }
    }

    @Test
    void resizeSizesFollowTorchvision() {
        EvalTransform t = EvalTransform.official();
        assertEquals(256, t.resize());
        assertEquals(224, t.crop());
        assertArrayEquals(new int[] {341, 256}, t.resizedSize(500, 375));
        assertArrayEquals(new int[] {256, 384}, t.resizedSize(200, 300));
        assertArrayEquals(new int[] {256, 256}, t.resizedSize(31, 31));
        assertEquals(438, EvalTransform.forCrop(384).resize());
        assertArrayEquals(
                new int[] {224, 224},
                new EvalTransform(
                                0,
                                224,
                                PillowResample.Filter.BICUBIC,
                                EvalTransform.IMAGENET_MEAN,
                                EvalTransform.IMAGENET_STD)
                        .resizedSize(640, 480));
    }

    @Test
    void centreCropUsesRoundHalfEvenOffsetsAndNormalises() {
        // 257 x 256: no resize for resize=256; (257 - 224) / 2 = 16.5 rounds to 16
        int w = 257;
        int h = 256;
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = (y * w + x) * 3;
                px[p] = (byte) x;
                px[p + 1] = (byte) y;
                px[p + 2] = (byte) 100;
            }
        }
        float[] out = EvalTransform.official().toChw(new RgbImage(w, h, px));
        int plane = 224 * 224;
        float m = EvalTransform.IMAGENET_MEAN[0];
        float s = EvalTransform.IMAGENET_STD[0];
        assertEquals((16 / 255f - m) / s, out[0]); // R of (0, 0) is source x = 16
        assertEquals(
                (16 / 255f - EvalTransform.IMAGENET_MEAN[1]) / EvalTransform.IMAGENET_STD[1],
                out[plane]);
        assertEquals(
                (100 / 255f - EvalTransform.IMAGENET_MEAN[2]) / EvalTransform.IMAGENET_STD[2],
                out[2 * plane + 5 * 224 + 7]);
        assertEquals(((16 + 223) / 255f - m) / s, out[223]);
    }

    @Test
    void smallImagesArePaddedWithZerosLikeTorchvision() {
        EvalTransform t =
                new EvalTransform(
                        0,
                        8,
                        PillowResample.Filter.BICUBIC,
                        new float[] {0, 0, 0},
                        new float[] {1, 1, 1});
        EvalTransform pad = new EvalTransform(4, 8, t.filter(), t.mean(), t.std());
        byte[] px = new byte[4 * 4 * 3];
        Arrays.fill(px, (byte) 255);
        float[] out = pad.toChw(new RgbImage(4, 4, px));
        // 4x4 image centred in 8x8: rows/cols 2..5 are 1, the border 0
        assertEquals(0f, out[0]);
        assertEquals(1f, out[2 * 8 + 2]);
        assertEquals(1f, out[5 * 8 + 5]);
        assertEquals(0f, out[6 * 8 + 6]);
    }

    @Test
    void grayscaleIsReplicatedNotGammaConverted() {
        BufferedImage g = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster r = g.getRaster();
        r.setSample(0, 0, 0, 128);
        r.setSample(2, 1, 0, 37);
        RgbImage rgb = RgbImage.of(g);
        assertEquals(128, rgb.pixels()[0] & 0xFF);
        assertEquals(128, rgb.pixels()[1] & 0xFF);
        assertEquals(128, rgb.pixels()[2] & 0xFF);
        assertEquals(37, rgb.pixels()[(1 * 3 + 2) * 3 + 1] & 0xFF);
    }

    @Test
    void grayscaleFilesAreReadAsRgb() throws IOException {
        BufferedImage g = new BufferedImage(5, 4, BufferedImage.TYPE_BYTE_GRAY);
        g.getRaster().setSample(1, 1, 0, 99);
        Path f = dir.resolve("gray.png");
        ImageIO.write(g, "png", f.toFile());
        RgbImage rgb = RgbImage.of(ImageFiles.read(f));
        int p = (1 * 5 + 1) * 3;
        assertEquals(99, rgb.pixels()[p] & 0xFF);
        assertEquals(99, rgb.pixels()[p + 2] & 0xFF);
    }

    @Test
    void sixteenBitImagesAreRejected() throws IOException {
        BufferedImage g = new BufferedImage(4, 4, BufferedImage.TYPE_USHORT_GRAY);
        g.getRaster().setSample(0, 0, 0, 40000);
        Path f = dir.resolve("deep.png");
        ImageIO.write(g, "png", f.toFile());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ImageFiles.read(f));
        assertTrue(e.getMessage().contains("16 bits per channel"), e.getMessage());
        IllegalArgumentException e2 =
                assertThrows(IllegalArgumentException.class, () -> RgbImage.of(g));
        assertTrue(e2.getMessage().contains("16 bits per channel"), e2.getMessage());
    }

    @Test
    void filesThatAreNotImagesAreRejected() throws IOException {
        Path text = dir.resolve("cat.jpg");
        Files.writeString(text, "definitely not a JPEG");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ImageFiles.read(text));
        assertTrue(e.getMessage().contains("is not an image"), e.getMessage());

        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        Path png = dir.resolve("ok.png");
        ImageIO.write(img, "png", png.toFile());
        byte[] full = Files.readAllBytes(png);
        Path cut = dir.resolve("cut.png");
        Files.write(cut, Arrays.copyOf(full, full.length / 2));
        IllegalArgumentException t =
                assertThrows(IllegalArgumentException.class, () -> ImageFiles.read(cut));
        assertTrue(t.getMessage().contains("could not be decoded"), t.getMessage());

        assertThrows(IOException.class, () -> ImageFiles.read(dir.resolve("missing.png")));
    }

    @Test
    void imageNetClassesAreTheStandardList() {
        ImageNetClasses c = ImageNetClasses.get();
        assertEquals(1000, c.names().size());
        assertEquals("tench, Tinca tinca", c.names().get(0));
        assertEquals("n01440764", c.wnids().get(0));
        assertEquals("golden retriever", c.names().get(207));
        assertEquals("tabby, tabby cat", c.names().get(281));
        assertEquals("toilet tissue, toilet paper, bathroom tissue", c.names().get(999));
        for (int i = 1; i < 1000; i++) {
            assertTrue(c.wnids().get(i - 1).compareTo(c.wnids().get(i)) < 0, "sorted wnids");
        }
    }
}
