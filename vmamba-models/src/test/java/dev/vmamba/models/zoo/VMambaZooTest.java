package dev.vmamba.models.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Application;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.MRL;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.DeferredTranslatorFactory;
import ai.djl.translate.TranslateException;
import dev.vmamba.core.VMamba;
import dev.vmamba.core.testing.Fixtures;
import dev.vmamba.models.BundledModel;
import dev.vmamba.models.image.EvalTransform;
import dev.vmamba.models.image.RgbImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DJL integration end to end: the ServiceLoader-registered zoo, Criteria on a model directory
 * (plain, with this library's factories, and the way djl-serving loads it), presets with weights
 * given as an argument, and the image translator on synthetic images.
 */
class VMambaZooTest {

    @TempDir Path tmp;

    private static BufferedImage pattern(int w, int h, long seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(seed);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int red = (x * 255 / w + r.nextInt(40)) & 0xFF;
                int green = (y * 255 / h) & 0xFF;
                int blue = ((x ^ y) * 7 + r.nextInt(20)) & 0xFF;
                img.setRGB(x, y, red << 16 | green << 8 | blue);
            }
        }
        return img;
    }

    private static Image image(BufferedImage b) {
        return ImageFactory.getInstance().fromImage(b);
    }

    private Path modelDir(String weights, String config) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        Files.copy(Fixtures.file("models/" + weights), dir.resolve(weights));
        if (config != null) {
            Files.copy(Fixtures.file("micro-configs/" + config), dir.resolve(config));
        }
        return dir;
    }

    /** The reference: transform, forward, softmax, computed without DJL's Predictor. */
    private static float[] manualProbabilities(
            VMamba model, BufferedImage img, NDManager m, int crop) {
        NDArray x = EvalTransform.forCrop(crop).apply(RgbImage.of(img), m).expandDims(0);
        return model.forward(x).softmax(1).toFloatArray();
    }

    private static void assertSameProbabilities(
            List<String> names, float[] expected, Classifications actual, double tol) {
        for (int i = 0; i < names.size(); i++) {
            assertEquals(expected[i], actual.get(names.get(i)).getProbability(), tol, names.get(i));
        }
    }

    @Test
    void zooIsRegisteredThroughServiceLoaderAndListsThePresets() {
        ModelZoo zoo = ModelZoo.getModelZoo(VMambaModelZoo.GROUP_ID);
        assertNotNull(zoo, "ServiceLoader registration");
        List<String> ids = new ArrayList<>();
        zoo.getModelLoaders().forEach(l -> ids.add(l.getArtifactId()));
        for (String id :
                List.of(
                        "vmamba-t-v0",
                        "vmamba-s-v0",
                        "vmamba-b-v0",
                        "vmamba-t-s2l5",
                        "vmamba-s-s2l15",
                        "vmamba-b-s2l15",
                        "vmamba-t",
                        "vmamba-s",
                        "vmamba-b",
                        "vmamba-test",
                        "vmamba-micro-v0")) {
            assertTrue(ids.contains(id), id + " in " + ids);
        }
        Map<Application, List<MRL>> models = ModelZoo.listModels();
        assertTrue(
                models.get(Application.CV.IMAGE_CLASSIFICATION).stream()
                        .anyMatch(m -> m.toString().equals("djl://dev.vmamba/vmamba-t")));
    }

    @Test
    void bundledMicroModelClassifiesThroughTheZoo() throws Exception {
        Criteria<Image, Classifications> c =
                Criteria.builder()
                        .setTypes(Image.class, Classifications.class)
                        .optGroupId(VMambaModelZoo.GROUP_ID)
                        .optArtifactId(VMambaModelZoo.BUNDLED_MICRO)
                        .optArgument("width", 112)
                        .build();
        List<BufferedImage> images =
                List.of(pattern(300, 200, 1), pattern(97, 131, 2), pattern(224, 224, 3));
        try (ZooModel<Image, Classifications> model = c.loadModel();
                Predictor<Image, Classifications> p = model.newPredictor();
                NDManager m = NDManager.newBaseManager()) {
            VMamba reference = BundledModel.V0_MICRO.load(m);
            List<Image> djlImages = new ArrayList<>();
            for (BufferedImage b : images) {
                djlImages.add(image(b));
            }
            List<Classifications> batch = p.batchPredict(djlImages);
            for (int i = 0; i < images.size(); i++) {
                Classifications single = p.predict(djlImages.get(i));
                assertEquals(10, single.getClassNames().size());
                assertEquals("class_0", single.getClassNames().get(0));
                assertEquals(5, single.topK().size());
                double sum =
                        single.getProbabilities().stream().mapToDouble(Double::doubleValue).sum();
                assertEquals(1.0, sum, 1e-5);
                float[] expected = manualProbabilities(reference, images.get(i), m, 112);
                assertSameProbabilities(single.getClassNames(), expected, single, 1e-5);
                assertSameProbabilities(single.getClassNames(), expected, batch.get(i), 1e-5);
            }
        }
    }

    @Test
    void modelDirectoryLoadsWithPlainCriteriaThisLibrarysFactoriesAndDjlServing() throws Exception {
        Path dir = modelDir("v2v_micro.pth", "v2v_micro.yaml");
        Path props = ModelDirectory.writeServingProperties(dir, Map.of());
        assertTrue(
                Files.readString(props)
                        .contains("blockFactory=" + VMambaBlockFactory.class.getName()));
        assertEquals(10, Files.readAllLines(dir.resolve("synset.txt")).size());
        // 256x256: the official resize is then the identity, so DJL's own translator (used by a
        // plain Criteria) and this library's agree to float rounding
        BufferedImage img = pattern(256, 256, 4);
        Classifications ours;
        try (ZooModel<Image, Classifications> model =
                        VMambaModels.criteria(dir).build().loadModel();
                Predictor<Image, Classifications> p = model.newPredictor()) {
            ours = p.predict(image(img));
        }
        try (ZooModel<Image, Classifications> model =
                        Criteria.builder()
                                .setTypes(Image.class, Classifications.class)
                                .optModelPath(dir)
                                .build()
                                .loadModel();
                Predictor<Image, Classifications> p = model.newPredictor()) {
            Classifications plain = p.predict(image(img));
            assertEquals(ours.best().getClassName(), plain.best().getClassName());
            assertSameProbabilities(
                    ours.getClassNames(), toFloats(ours.getProbabilities()), plain, 1e-4);
        }
        // DJL's DeferredTranslatorFactory follows translatorFactory from serving.properties
        try (ZooModel<Image, Classifications> model =
                        Criteria.builder()
                                .setTypes(Image.class, Classifications.class)
                                .optModelPath(dir)
                                .optTranslatorFactory(new DeferredTranslatorFactory())
                                .build()
                                .loadModel();
                Predictor<Image, Classifications> p = model.newPredictor()) {
            assertTrue(model.getTranslator() instanceof VMambaClassificationTranslator);
            assertSameProbabilities(
                    ours.getClassNames(),
                    toFloats(ours.getProbabilities()),
                    p.predict(image(img)),
                    1e-6);
        }
        // djl-serving: serving.properties become Criteria arguments, types are Input/Output
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(props)) {
            p.load(r);
        }
        Criteria.Builder<Input, Output> serving =
                Criteria.builder().setTypes(Input.class, Output.class).optModelPath(dir);
        for (String k : p.stringPropertyNames()) {
            if (k.startsWith("option.")) {
                serving.optOption(k.substring(7), p.getProperty(k));
            } else {
                serving.optArgument(k, p.getProperty(k));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        // ... and with serving.properties left to DJL's loader (Input/Output: DJL's serving
        // translator factory then follows translatorFactory from the file)
        Criteria.Builder<Input, Output> plainServing =
                Criteria.builder().setTypes(Input.class, Output.class).optModelPath(dir);
        for (Criteria.Builder<Input, Output> c : List.of(serving, plainServing)) {
            try (ZooModel<Input, Output> model = c.build().loadModel();
                    Predictor<Input, Output> predictor = model.newPredictor()) {
                Input in = new Input();
                in.add("data", png.toByteArray());
                Output out = predictor.predict(in);
                assertTrue(
                        wraps(model.getTranslator(), VMambaClassificationTranslator.class),
                        "djl-serving uses this library's translator");
                String json = out.getData().getAsString();
                assertTrue(json.contains(ours.best().getClassName()), json);
                assertTrue(
                        json.contains(
                                String.format(
                                                java.util.Locale.ROOT,
                                                "%.6f",
                                                ours.best().getProbability())
                                        .substring(0, 6)),
                        json + " vs " + ours.best().getProbability());
            }
        }
    }

    /** Whether a (wrapping) translator holds an instance of {@code type} in one of its fields. */
    private static boolean wraps(Object translator, Class<?> type) throws Exception {
        if (type.isInstance(translator)) {
            return true;
        }
        for (java.lang.reflect.Field f : translator.getClass().getDeclaredFields()) {
            f.setAccessible(true);
            if (type.isInstance(f.get(translator))) {
                return true;
            }
        }
        return false;
    }

    private static float[] toFloats(List<Double> l) {
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = l.get(i).floatValue();
        }
        return f;
    }

    @Test
    void presetsLoadFromWeightsAlone() throws Exception {
        Path dir = modelDir("v2v_micro.pth", null);
        BufferedImage img = pattern(180, 240, 5);
        Classifications viaDir;
        try (ZooModel<Image, Classifications> model =
                        VMambaModels.criteria(dir)
                                .optArgument("preset", "vmamba-test")
                                .build()
                                .loadModel();
                Predictor<Image, Classifications> p = model.newPredictor()) {
            viaDir = p.predict(image(img));
        }
        Criteria.Builder<Image, Classifications> zoo =
                Criteria.builder()
                        .setTypes(Image.class, Classifications.class)
                        .optGroupId(VMambaModelZoo.GROUP_ID)
                        .optArtifactId("vmamba-test");
        try (ZooModel<Image, Classifications> model =
                        zoo.optArgument("weights", dir.resolve("v2v_micro.pth").toString())
                                .build()
                                .loadModel();
                Predictor<Image, Classifications> p = model.newPredictor()) {
            Classifications viaZoo = p.predict(image(img));
            assertSameProbabilities(
                    viaDir.getClassNames(), toFloats(viaDir.getProbabilities()), viaZoo, 1e-6);
        }
        ModelNotFoundException e =
                assertThrows(
                        ModelNotFoundException.class,
                        () ->
                                Criteria.builder()
                                        .setTypes(Image.class, Classifications.class)
                                        .optGroupId(VMambaModelZoo.GROUP_ID)
                                        .optArtifactId("vmamba-t")
                                        .build()
                                        .loadModel());
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        assertTrue(
                cause.getMessage().contains("vssm1_tiny_0230s_ckpt_epoch_264.pth"),
                cause.getMessage());
    }

    @Test
    void weightsThatDoNotFitTheConfigFailWithTheReport() throws Exception {
        Path dir = modelDir("v2_micro.pth", "v2v_micro.yaml");
        IOException e =
                assertThrows(
                        IOException.class, () -> VMambaModels.criteria(dir).build().loadModel());
        assertTrue(e.getMessage().contains("wrong shape"), e.getMessage());
        assertTrue(e.getMessage().contains("v2_micro.pth['model']"), e.getMessage());
    }

    @Test
    void grayscaleClassifiesLikeItsRgbReplicaAndDeepImagesAreRejected() throws Exception {
        BufferedImage gray = new BufferedImage(120, 90, BufferedImage.TYPE_BYTE_GRAY);
        BufferedImage rgb = new BufferedImage(120, 90, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(6);
        for (int y = 0; y < 90; y++) {
            for (int x = 0; x < 120; x++) {
                int v = r.nextInt(256);
                gray.getRaster().setSample(x, y, 0, v);
                rgb.setRGB(x, y, v << 16 | v << 8 | v);
            }
        }
        BufferedImage deep = new BufferedImage(64, 64, BufferedImage.TYPE_USHORT_GRAY);
        try (ZooModel<Image, Classifications> model =
                        Criteria.builder()
                                .setTypes(Image.class, Classifications.class)
                                .optGroupId(VMambaModelZoo.GROUP_ID)
                                .optArtifactId(VMambaModelZoo.BUNDLED_MICRO)
                                .optArgument("width", 64)
                                .build()
                                .loadModel();
                Predictor<Image, Classifications> p = model.newPredictor()) {
            Classifications a = p.predict(image(gray));
            Classifications b = p.predict(image(rgb));
            assertEquals(a.getProbabilities(), b.getProbabilities());
            TranslateException e =
                    assertThrows(TranslateException.class, () -> p.predict(image(deep)));
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            assertTrue(root.getMessage().contains("16 bits per channel"), root.getMessage());
        }
        try (NDManager m = NDManager.newBaseManager()) {
            VMamba model = BundledModel.V0_MICRO.load(m);
            NDArray oneChannel =
                    m.randomUniform(0, 1, new ai.djl.ndarray.types.Shape(1, 1, 64, 64));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> model.forward(oneChannel));
            assertTrue(e.getMessage().contains("channels"), e.getMessage());
        }
    }
}
