package dev.vmamba.examples;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.vmamba.models.VMambaPreset;
import dev.vmamba.models.image.ImageFiles;
import dev.vmamba.models.zoo.VMambaModelZoo;
import dev.vmamba.models.zoo.VMambaModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vmamba classify}: the top classes of images with an official checkpoint, using the
 * official evaluation preprocessing, in batches.
 */
@Command(
        name = "classify",
        mixinStandardHelpOptions = true,
        description = {
            "Classifies images with official VMamba weights (top-k labels and probabilities).",
            "The config comes from --config, --preset, or the official checkpoint's file name.",
            "Without --weights: the bundled micro model (10 untrained classes; a pipeline check)."
        })
public final class ClassifyCommand implements Callable<Integer> {

    @Option(names = "--config", description = "official .yaml config of the model")
    Path config;

    @Option(names = "--preset", description = "preset name instead of --config, e.g. vmamba-t")
    String preset;

    @Option(names = "--weights", description = "official .pth checkpoint or .safetensors")
    Path weights;

    @Option(names = "--ema", description = "use the checkpoint's model_ema weights")
    boolean ema;

    @Option(
            names = "--top",
            defaultValue = "5",
            description = "classes to print per image (default: ${DEFAULT-VALUE})")
    int top;

    @Option(
            names = "--batch-size",
            defaultValue = "8",
            description = "images per forward pass (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(
            names = "--crop",
            defaultValue = "224",
            description = "input side; images are resized to int(256/224·crop) and centre-cropped")
    int crop;

    @Option(
            names = "--labels",
            description = "class names, one per line (default: ImageNet-1k for 1000 classes)")
    Path labels;

    @Option(
            names = "--backend",
            defaultValue = "auto",
            description = "selective scan: auto, java, ndarray or cuda (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(
            names = "--device",
            defaultValue = "cpu",
            description = "cpu or gpu (default: ${DEFAULT-VALUE})")
    String device;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "image files")
    List<Path> images;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return UserErrors.run("classify", spec.commandLine().getErr(), this::execute);
    }

    private Integer execute() throws Exception {
        if (batchSize < 1 || top < 1) {
            throw new IllegalArgumentException("--batch-size and --top must be positive");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Criteria.Builder<Image, Classifications> b = criteria(out);
        b.optArgument("width", crop)
                .optArgument("topK", top)
                .optArgument("scanBackend", backend)
                .optDevice(device.equalsIgnoreCase("gpu") ? Device.gpu() : Device.fromName(device));
        if (labels != null) {
            b.optArgument("synsetFileName", labels.toAbsolutePath().toString());
        }
        int failures = 0;
        try (ZooModel<Image, Classifications> model = b.build().loadModel();
                Predictor<Image, Classifications> predictor = model.newPredictor()) {
            for (int start = 0; start < images.size(); start += batchSize) {
                List<Path> names = new ArrayList<>();
                List<Image> batch = new ArrayList<>();
                for (Path p : images.subList(start, Math.min(images.size(), start + batchSize))) {
                    try {
                        batch.add(ImageFiles.readImage(p));
                        names.add(p);
                    } catch (IOException | IllegalArgumentException e) {
                        err.println(p + ": " + e.getMessage());
                        failures++;
                    }
                }
                if (batch.isEmpty()) {
                    continue;
                }
                List<Classifications> results = predictor.batchPredict(batch);
                for (int i = 0; i < results.size(); i++) {
                    out.println(names.get(i));
                    int rank = 1;
                    for (Classifications.Classification c : results.get(i).topK(top)) {
                        out.printf(
                                Locale.ROOT,
                                "  %2d. %7.3f%%  %s%n",
                                rank++,
                                100 * c.getProbability(),
                                c.getClassName());
                    }
                }
                out.flush();
            }
        }
        return failures == 0 ? 0 : 1;
    }

    private Criteria.Builder<Image, Classifications> criteria(PrintWriter out) {
        if (weights == null) {
            if (config != null || preset != null || ema) {
                throw new IllegalArgumentException("--config/--preset/--ema need --weights");
            }
            out.println(
                    "no --weights: using the bundled micro model (untrained classes class_0..9)");
            return Criteria.builder()
                    .setTypes(Image.class, Classifications.class)
                    .optGroupId(VMambaModelZoo.GROUP_ID)
                    .optArtifactId(VMambaModelZoo.BUNDLED_MICRO);
        }
        if (config != null && preset != null) {
            throw new IllegalArgumentException("give --config or --preset, not both");
        }
        Path w = weights.toAbsolutePath();
        Criteria.Builder<Image, Classifications> b =
                VMambaModels.criteria(w.getParent()).optArgument("weights", w.toString());
        if (config != null) {
            b.optArgument("config", config.toAbsolutePath().toString());
        } else if (preset != null) {
            b.optArgument("preset", VMambaPreset.of(preset).id());
        } else {
            VMambaPreset known =
                    VMambaPreset.forCheckpointFile(w.getFileName().toString())
                            .orElseThrow(
                                    () ->
                                            new IllegalArgumentException(
                                                    w.getFileName()
                                                            + " is not an official release file"
                                                            + " name: give --config X.yaml or"
                                                            + " --preset"));
            b.optArgument("preset", known.id());
        }
        if (ema) {
            b.optArgument("ema", "true");
        }
        return b;
    }
}
