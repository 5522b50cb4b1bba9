package dev.vmamba.models.zoo;

import ai.djl.Application;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.repository.MRL;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.ArgumentsUtil;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Progress;
import dev.vmamba.core.VMamba;
import dev.vmamba.core.scan.ScanBackend;
import dev.vmamba.models.BundledModel;
import dev.vmamba.models.VMambaPreset;
import dev.vmamba.models.checkpoint.CheckpointWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Loads one model of the {@link VMambaModelZoo}: a released preset (its weights file is given with
 * the argument {@code weights}; this library never downloads) or the micro model bundled in the
 * jar.
 */
final class VMambaModelLoader implements ModelLoader {

    private final String artifactId;
    private final VMambaPreset preset;
    private final BundledModel bundled;

    VMambaModelLoader(VMambaPreset preset) {
        this.artifactId = preset.id();
        this.preset = preset;
        this.bundled = null;
    }

    VMambaModelLoader(String artifactId, BundledModel bundled) {
        this.artifactId = artifactId;
        this.preset = null;
        this.bundled = bundled;
    }

    @Override
    public String getGroupId() {
        return VMambaModelZoo.GROUP_ID;
    }

    @Override
    public String getArtifactId() {
        return artifactId;
    }

    @Override
    public Application getApplication() {
        return Application.CV.IMAGE_CLASSIFICATION;
    }

    @Override
    public MRL getMrl() {
        return MRL.model(null, getApplication(), getGroupId(), artifactId, "0.1.0", artifactId);
    }

    @Override
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
            throws IOException, ModelNotFoundException, MalformedModelException {
        TranslatorFactory factory =
                criteria.getTranslatorFactory() != null
                        ? criteria.getTranslatorFactory()
                        : new VMambaTranslatorFactory();
        Class<I> in = criteria.getInputClass();
        Class<O> out = criteria.getOutputClass();
        if (!factory.isSupported(in, out)) {
            throw new ModelNotFoundException(
                    artifactId
                            + " classifies images: ask for (Image, Classifications) or another"
                            + " supported pair, not ("
                            + in.getSimpleName()
                            + ", "
                            + out.getSimpleName()
                            + ")");
        }
        Map<String, Object> arguments = arguments(criteria);
        Path weights = weights(arguments);
        Model model = Model.newInstance(artifactId, criteria.getDevice(), "PyTorch");
        try {
            VMamba block;
            if (bundled != null) {
                block = bundled.load(model.getNDManager());
            } else {
                block =
                        VMambaBlockFactory.load(
                                preset.config(),
                                weights,
                                ArgumentsUtil.booleanValue(arguments, "ema")
                                        ? CheckpointWeights.MODEL_EMA
                                        : CheckpointWeights.MODEL,
                                ScanBackend.parse(
                                        ArgumentsUtil.stringValue(
                                                arguments, "scanBackend", "auto")),
                                model);
            }
            block.setScanBackend(
                    ScanBackend.parse(ArgumentsUtil.stringValue(arguments, "scanBackend", "auto")));
            model.setBlock(block);
            Translator<I, O> translator = factory.newInstance(in, out, model, arguments);
            return new ZooModel<>(model, translator);
        } catch (TranslateException e) {
            model.close();
            throw new ModelNotFoundException("no translator for " + artifactId, e);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private Path weights(Map<String, Object> arguments) throws ModelNotFoundException {
        if (bundled != null) {
            return null;
        }
        String w = ArgumentsUtil.stringValue(arguments, "weights");
        if (w == null) {
            String file =
                    preset.weights() != null ? preset.weights().fileName() : "a .pth/.safetensors";
            String where =
                    preset.weights() != null
                            ? " (published at "
                                    + preset.weights().url()
                                    + "; this library does not download)"
                            : "";
            throw new ModelNotFoundException(
                    artifactId
                            + " needs weights: optArgument(\"weights\", \"<path to "
                            + file
                            + ">\")"
                            + where);
        }
        return Path.of(w);
    }

    private static Map<String, Object> arguments(Criteria<?, ?> criteria) {
        Map<String, Object> a = criteria.getArguments();
        return a == null ? new HashMap<>() : new HashMap<>(a);
    }

    @Override
    public <I, O> boolean isDownloaded(Criteria<I, O> criteria) {
        if (bundled != null) {
            return true;
        }
        String w = ArgumentsUtil.stringValue(arguments(criteria), "weights");
        return w != null && Files.isRegularFile(Path.of(w));
    }

    @Override
    public <I, O> void downloadModel(Criteria<I, O> criteria, Progress progress)
            throws ModelNotFoundException {
        if (!isDownloaded(criteria)) {
            weights(arguments(criteria));
        }
    }

    @Override
    public String toString() {
        return getMrl()
                + (bundled != null
                        ? " (bundled)"
                        : preset.weights() != null
                                ? " (" + preset.weights().fileName() + ")"
                                : " (weights given by the caller)");
    }
}
