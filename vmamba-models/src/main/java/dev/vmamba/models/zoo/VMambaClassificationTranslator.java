package dev.vmamba.models.zoo;

import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import dev.vmamba.models.image.EvalTransform;
import dev.vmamba.models.image.RgbImage;
import java.util.List;
import java.util.Objects;

/**
 * Classifies images with a VMamba model: the official evaluation preprocessing ({@link
 * EvalTransform}, spec §9) in, softmax probabilities over the class names out. Batches are stacked,
 * so {@code Predictor.batchPredict} runs one forward pass per batch.
 */
public final class VMambaClassificationTranslator implements Translator<Image, Classifications> {

    private final EvalTransform transform;
    private final List<String> classes;
    private final int topK;

    /**
     * @param transform the preprocessing
     * @param classes class names, one per model output
     * @param topK how many classes {@link Classifications#topK()} and its JSON form report
     */
    public VMambaClassificationTranslator(EvalTransform transform, List<String> classes, int topK) {
        this.transform = Objects.requireNonNull(transform, "transform");
        this.classes = List.copyOf(classes);
        if (topK < 1) {
            throw new IllegalArgumentException("topK must be positive, got " + topK);
        }
        this.topK = topK;
    }

    /**
     * @return the preprocessing
     */
    public EvalTransform transform() {
        return transform;
    }

    /**
     * @return the class names
     */
    public List<String> classes() {
        return classes;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Image input) {
        RgbImage rgb = RgbImage.of(input, ctx.getNDManager());
        return new NDList(transform.apply(rgb, ctx.getNDManager()));
    }

    @Override
    public Classifications processOutput(TranslatorContext ctx, NDList list) {
        NDArray logits = list.singletonOrThrow();
        if (logits.getShape().dimension() != 1 || logits.getShape().get(0) != classes.size()) {
            throw new IllegalStateException(
                    "the model produced logits of shape "
                            + logits.getShape()
                            + " but "
                            + classes.size()
                            + " class names are configured");
        }
        NDArray probabilities = logits.softmax(0);
        return new Classifications(classes, probabilities, Math.min(topK, classes.size()));
    }

    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }
}
