package dev.vmamba.models.zoo;

import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.repository.zoo.Criteria;
import java.nio.file.Path;

/**
 * Entry points for loading VMamba classifiers through DJL.
 *
 * <pre>{@code
 * // a directory with the official .pth and .yaml (no serving.properties needed)
 * try (ZooModel<Image, Classifications> model = VMambaModels.criteria(dir).build().loadModel();
 *         Predictor<Image, Classifications> predictor = model.newPredictor()) {
 *     Classifications top5 = predictor.predict(ImageFiles.readImage(Path.of("cat.jpg")));
 * }
 * }</pre>
 */
public final class VMambaModels {

    private VMambaModels() {}

    /**
     * A Criteria for a model directory (see {@link ModelDirectory} for what it may hold) that uses
     * this library's block factory and translator, whatever the directory's {@code
     * serving.properties} says. Add arguments such as {@code preset}, {@code config}, {@code
     * weights}, {@code ema} or the translator's keys before building.
     *
     * @param modelDir the directory
     * @return a builder for (Image, Classifications)
     */
    public static Criteria.Builder<Image, Classifications> criteria(Path modelDir) {
        return Criteria.builder()
                .setTypes(Image.class, Classifications.class)
                .optModelPath(modelDir)
                .optEngine("PyTorch")
                .optArgument("blockFactory", new VMambaBlockFactory())
                .optOption("hasParameter", "false")
                .optTranslatorFactory(new VMambaTranslatorFactory());
    }
}
