package dev.vmamba.models.zoo;

import ai.djl.Model;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.translator.BaseImageTranslatorFactory;
import ai.djl.translate.ArgumentsUtil;
import ai.djl.translate.Translator;
import dev.vmamba.core.VMamba;
import dev.vmamba.models.image.EvalTransform;
import dev.vmamba.models.image.ImageNetClasses;
import dev.vmamba.models.image.PillowResample;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds {@link VMambaClassificationTranslator}s from DJL arguments (Criteria arguments or {@code
 * serving.properties}); also serves {@code Path}, {@code URL}, {@code String} and {@code
 * InputStream} inputs and djl-serving's {@code Input}/{@code Output}.
 *
 * <p>It reads the keys of DJL's own image classification translator, so one {@code
 * serving.properties} configures both:
 *
 * <ul>
 *   <li>{@code width}, {@code height}: the crop (must be equal; default 224);
 *   <li>{@code resizeShort}: shorter side after resizing, optionally {@code ,-1,<filter>} with a
 *       Pillow filter name (default {@code int(256/224·crop)}, bicubic); {@code centerCrop=false}
 *       resizes straight to the crop instead (official {@code TEST.CROP False});
 *   <li>{@code normalize}: {@code true} (ImageNet, default), {@code false}, or six numbers (mean,
 *       std);
 *   <li>{@code synset} (comma-separated names) or {@code synsetFileName} (a file in the model
 *       directory, one name per line); otherwise {@code synset.txt} in the model directory, the
 *       bundled ImageNet-1k names for 1000-class models, or {@code class_<i>};
 *   <li>{@code topK}: classes reported (default 5).
 * </ul>
 */
public final class VMambaTranslatorFactory extends BaseImageTranslatorFactory<Classifications> {

    @Override
    protected Translator<Image, Classifications> buildBaseTranslator(
            Model model, Map<String, ?> arguments) {
        int numClasses =
                model.getBlock() instanceof VMamba
                        ? ((VMamba) model.getBlock()).config().numClasses()
                        : -1;
        return new VMambaClassificationTranslator(
                transform(arguments),
                classes(arguments, model.getModelPath(), numClasses),
                ArgumentsUtil.intValue(arguments, "topK", 5));
    }

    @Override
    public Class<Classifications> getBaseOutputType() {
        return Classifications.class;
    }

    /**
     * Reads the preprocessing from DJL-style arguments.
     *
     * @param arguments the arguments
     * @return the transform
     */
    static EvalTransform transform(Map<String, ?> arguments) {
        int width = ArgumentsUtil.intValue(arguments, "width", 224);
        int height = ArgumentsUtil.intValue(arguments, "height", width);
        if (width != height) {
            throw new IllegalArgumentException(
                    "VMamba evaluation uses a square centre crop; width "
                            + width
                            + " and height "
                            + height
                            + " differ");
        }
        EvalTransform official = EvalTransform.forCrop(width);
        int resize = official.resize();
        PillowResample.Filter filter = official.filter();
        String rs = ArgumentsUtil.stringValue(arguments, "resizeShort");
        if (rs != null && !rs.equals("true")) {
            String[] t = rs.split("\\s*,\\s*");
            if (!t[0].equals("false")) {
                resize = (int) Double.parseDouble(t[0]);
            }
            if (t.length > 2) {
                filter = filter(t[2]);
            }
        }
        if (arguments.containsKey("interpolation")) {
            filter = filter(ArgumentsUtil.stringValue(arguments, "interpolation"));
        }
        if (!ArgumentsUtil.booleanValue(arguments, "centerCrop", true)) {
            resize = 0;
        }
        float[] mean = EvalTransform.IMAGENET_MEAN;
        float[] std = EvalTransform.IMAGENET_STD;
        String norm = ArgumentsUtil.stringValue(arguments, "normalize", "true");
        if (norm.equals("false")) {
            mean = new float[] {0, 0, 0};
            std = new float[] {1, 1, 1};
        } else if (!norm.equals("true")) {
            String[] t = norm.split("\\s*,\\s*");
            if (t.length != 6) {
                throw new IllegalArgumentException(
                        "normalize must be true, false or six numbers (mean r,g,b, std r,g,b), got '"
                                + norm
                                + "'");
            }
            mean = new float[] {parse(t[0]), parse(t[1]), parse(t[2])};
            std = new float[] {parse(t[3]), parse(t[4]), parse(t[5])};
        }
        return new EvalTransform(resize, width, filter, mean, std);
    }

    private static float parse(String s) {
        return Float.parseFloat(s);
    }

    private static PillowResample.Filter filter(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        if (n.equals("AREA")) {
            return PillowResample.Filter.BOX;
        }
        try {
            return PillowResample.Filter.valueOf(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "unknown resampling filter '"
                            + name
                            + "' (supported: "
                            + Arrays.toString(PillowResample.Filter.values())
                            + ")",
                    e);
        }
    }

    /**
     * Finds the class names.
     *
     * @param arguments the arguments
     * @param modelDir the model directory, or null
     * @param numClasses the model's outputs, or -1 if unknown
     * @return one name per class
     */
    static List<String> classes(Map<String, ?> arguments, Path modelDir, int numClasses) {
        List<String> names = null;
        String inline = ArgumentsUtil.stringValue(arguments, "synset");
        String fileName = ArgumentsUtil.stringValue(arguments, "synsetFileName");
        if (ArgumentsUtil.stringValue(arguments, "synsetUrl") != null) {
            throw new IllegalArgumentException(
                    "synsetUrl is not supported (no downloads): put the file in the model directory"
                            + " and name it with synsetFileName");
        }
        if (inline != null) {
            names = Arrays.asList(inline.split(","));
        } else if (fileName != null) {
            names = readNames(resolve(modelDir, fileName));
        } else if (modelDir != null && Files.isRegularFile(modelDir.resolve("synset.txt"))) {
            names = readNames(modelDir.resolve("synset.txt"));
        } else if (numClasses == 1000) {
            names = ImageNetClasses.get().names();
        } else if (numClasses > 0) {
            names = new ArrayList<>();
            for (int i = 0; i < numClasses; i++) {
                names.add("class_" + i);
            }
        }
        if (names == null) {
            throw new IllegalArgumentException(
                    "no class names: give synset or synsetFileName (the model is not a VMamba)");
        }
        if (numClasses > 0 && names.size() != numClasses) {
            throw new IllegalArgumentException(
                    "the model has "
                            + numClasses
                            + " classes but "
                            + names.size()
                            + " class names were given");
        }
        return names;
    }

    private static Path resolve(Path dir, String name) {
        Path p = Path.of(name);
        return p.isAbsolute() || dir == null ? p : dir.resolve(p);
    }

    private static List<String> readNames(Path file) {
        try {
            List<String> out = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    out.add(line.strip());
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read class names from " + file, e);
        }
    }
}
