package dev.vmamba.models.zoo;

import ai.djl.translate.ArgumentsUtil;
import dev.vmamba.core.config.OfficialConfigReader;
import dev.vmamba.core.config.VMambaConfig;
import dev.vmamba.models.VMambaPreset;
import dev.vmamba.models.image.ImageNetClasses;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A model directory as DJL and djl-serving load it: the official weights ({@code .pth} or {@code
 * .safetensors}), the official config ({@code .yaml}) or a preset name, and a {@code
 * serving.properties} that names this library's block and translator factories.
 *
 * <p>Resolution rules (arguments come from Criteria or {@code serving.properties}):
 *
 * <ul>
 *   <li>config: argument {@code config} (a file, relative to the directory), else argument {@code
 *       preset} (e.g. {@code vmamba-t}), else the only {@code .yaml}/{@code .yml} file in the
 *       directory, else the preset whose official release file the weights are;
 *   <li>weights: argument {@code weights}, else the only {@code .pth}/{@code .pt}/{@code
 *       .bin}/{@code .ckpt}/{@code .safetensors} file in the directory;
 *   <li>argument {@code ema=true} selects a training checkpoint's {@code model_ema} weights.
 * </ul>
 */
public final class ModelDirectory {

    private static final List<String> WEIGHT_SUFFIXES =
            List.of(".pth", ".pt", ".bin", ".ckpt", ".safetensors");

    private ModelDirectory() {}

    /**
     * What a directory resolves to.
     *
     * @param config the architecture
     * @param configSource where it came from (a file or a preset name)
     * @param weights the weights file
     */
    public record Contents(VMambaConfig config, String configSource, Path weights) {}

    /**
     * Resolves a directory's config and weights.
     *
     * @param dir the model directory
     * @param arguments Criteria / serving.properties arguments
     * @return what to load
     * @throws IOException if the directory cannot be listed or a config file cannot be read
     * @throws IllegalArgumentException naming what is missing or ambiguous
     */
    public static Contents resolve(Path dir, Map<String, ?> arguments) throws IOException {
        List<Path> files = new ArrayList<>();
        if (dir != null && Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(Files::isRegularFile).sorted().forEach(files::add);
            }
        }
        Path weights;
        String w = ArgumentsUtil.stringValue(arguments, "weights");
        if (w != null) {
            weights = resolve(dir, w);
        } else {
            List<Path> candidates = withSuffix(files, WEIGHT_SUFFIXES);
            if (candidates.size() != 1) {
                throw new IllegalArgumentException(
                        (candidates.isEmpty()
                                        ? "no weights file"
                                        : "several weights files " + names(candidates))
                                + " in "
                                + dir
                                + ": keep one .pth/.safetensors there or name it with the argument"
                                + " 'weights'");
            }
            weights = candidates.get(0);
        }
        if (!Files.isRegularFile(weights)) {
            throw new IOException("weights file not found: " + weights);
        }
        String c = ArgumentsUtil.stringValue(arguments, "config");
        if (c != null) {
            Path p = resolve(dir, c);
            return new Contents(OfficialConfigReader.read(p), p.toString(), weights);
        }
        String preset = ArgumentsUtil.stringValue(arguments, "preset");
        if (preset != null) {
            return new Contents(VMambaPreset.of(preset).config(), "preset " + preset, weights);
        }
        List<Path> yamls = withSuffix(files, List.of(".yaml", ".yml"));
        if (yamls.size() == 1) {
            return new Contents(
                    OfficialConfigReader.read(yamls.get(0)), yamls.get(0).toString(), weights);
        }
        VMambaPreset known =
                VMambaPreset.forCheckpointFile(weights.getFileName().toString()).orElse(null);
        if (yamls.isEmpty() && known != null) {
            return new Contents(
                    known.config(),
                    "preset " + known.id() + " (official release file name)",
                    weights);
        }
        throw new IllegalArgumentException(
                (yamls.isEmpty() ? "no config" : "several configs " + names(yamls))
                        + " for "
                        + weights.getFileName()
                        + ": put the official .yaml next to the weights, or give the argument"
                        + " 'config' (a .yaml) or 'preset' (one of "
                        + presetNames()
                        + ")");
    }

    /**
     * Writes {@code serving.properties} (and {@code synset.txt} when it is missing) into a
     * directory holding weights and a config, so that {@code
     * Criteria.builder().setTypes(Image.class, Classifications.class).optModelPath(dir)} and
     * djl-serving load it unchanged. The file configures both this library's translator and DJL's
     * built-in image classification translator with the official preprocessing.
     *
     * @param dir the model directory
     * @param extra further {@code key=value} lines (e.g. {@code preset=vmamba-t}), may be empty
     * @return the written properties file
     * @throws IOException if writing fails or the directory does not resolve
     */
    public static Path writeServingProperties(Path dir, Map<String, String> extra)
            throws IOException {
        Contents contents = resolve(dir, extra);
        int classes = contents.config().numClasses();
        Path synset = dir.resolve("synset.txt");
        if (!Files.exists(synset)) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < classes; i++) {
                names.add(classes == 1000 ? ImageNetClasses.get().names().get(i) : "class_" + i);
            }
            Files.write(synset, names, StandardCharsets.UTF_8);
        }
        StringBuilder sb = new StringBuilder();
        sb.append("# VMamba model directory (")
                .append(contents.configSource())
                .append(", weights ")
                .append(contents.weights().getFileName())
                .append(")\n");
        sb.append("engine=PyTorch\n");
        sb.append("blockFactory=").append(VMambaBlockFactory.class.getName()).append('\n');
        sb.append("translatorFactory=")
                .append(VMambaTranslatorFactory.class.getName())
                .append('\n');
        sb.append("option.hasParameter=false\n");
        sb.append("application=cv/image_classification\n");
        for (Map.Entry<String, String> e : extra.entrySet()) {
            sb.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        sb.append("# official evaluation preprocessing (also read by DJL's own translator)\n");
        sb.append("width=224\nheight=224\n");
        sb.append("resizeShort=256,-1,BICUBIC\n");
        sb.append("centerCrop=true\n");
        sb.append("normalize=0.485,0.456,0.406,0.229,0.224,0.225\n");
        sb.append("applySoftmax=true\n");
        sb.append("synsetFileName=synset.txt\n");
        Path props = dir.resolve("serving.properties");
        Files.writeString(props, sb.toString(), StandardCharsets.UTF_8);
        return props;
    }

    private static Path resolve(Path dir, String name) {
        Path p = Path.of(name);
        return p.isAbsolute() || dir == null ? p : dir.resolve(p);
    }

    private static List<Path> withSuffix(List<Path> files, List<String> suffixes) {
        List<Path> out = new ArrayList<>();
        for (Path f : files) {
            String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
            for (String s : suffixes) {
                if (n.endsWith(s)) {
                    out.add(f);
                    break;
                }
            }
        }
        return out;
    }

    private static List<String> names(List<Path> files) {
        List<String> out = new ArrayList<>();
        for (Path f : files) {
            out.add(f.getFileName().toString());
        }
        return out;
    }

    private static List<String> presetNames() {
        List<String> out = new ArrayList<>();
        for (VMambaPreset p : VMambaPreset.values()) {
            if (p.weights() != null) {
                out.add(p.id());
            }
        }
        return out;
    }
}
