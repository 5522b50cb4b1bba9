package dev.vmamba.models.analysis;

import ai.djl.ndarray.types.Shape;
import dev.vmamba.core.VMamba;
import dev.vmamba.core.config.VMambaConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code vmamba info} prints about an architecture: parameters (classifier and the
 * detection/segmentation backbone), state-dict keys, per-stage widths and spatial sizes, and FLOPs
 * for an input size. Everything is derived from the configuration; no weights are needed.
 *
 * @param config the architecture
 * @param parameters scalar parameters of the classifier ({@code VSSM})
 * @param backboneParameters scalar parameters of {@code Backbone_VSSM} (no head, four output norms)
 * @param stateDictKeys keys of the classifier's state dict
 * @param stages one row per stage
 * @param flops FLOPs for the summarised input size
 */
public record ModelSummary(
        VMambaConfig config,
        long parameters,
        long backboneParameters,
        int stateDictKeys,
        List<Stage> stages,
        FlopCounter.Count flops) {

    public ModelSummary {
        stages = List.copyOf(stages);
    }

    /**
     * One stage.
     *
     * @param index stage index
     * @param dim d_model (C)
     * @param depth VSS blocks
     * @param dInner d_inner (D)
     * @param dtRank Δ rank (R)
     * @param height output height for the summarised input
     * @param width output width for the summarised input
     * @param parameters scalar parameters of {@code layers.i} (blocks and downsampling)
     */
    public record Stage(
            int index,
            int dim,
            int depth,
            int dInner,
            int dtRank,
            long height,
            long width,
            long parameters) {}

    /**
     * Summarises an architecture for one input size.
     *
     * @param config the architecture
     * @param height input height
     * @param width input width
     * @return the summary
     */
    public static ModelSummary of(VMambaConfig config, long height, long width) {
        VMamba classifier = VMamba.builder(config).build();
        VMamba backbone = VMamba.builder(config).backbone().build();
        Map<String, Shape> shapes = classifier.stateDictShapes();
        long[][] res = config.stageResolutions(height, width);
        List<Stage> stages = new ArrayList<>();
        for (int i = 0; i < config.numStages(); i++) {
            String prefix = "layers." + i + ".";
            long p = 0;
            for (Map.Entry<String, Shape> e : shapes.entrySet()) {
                if (e.getKey().startsWith(prefix)) {
                    p += e.getValue().size();
                }
            }
            stages.add(
                    new Stage(
                            i,
                            config.stageDim(i),
                            config.depths().get(i),
                            config.dInner(i),
                            config.dtRank(i),
                            res[i][0],
                            res[i][1],
                            p));
        }
        return new ModelSummary(
                config,
                classifier.parameterCount(),
                backbone.parameterCount(),
                shapes.size(),
                stages,
                FlopCounter.count(config, height, width));
    }

    /**
     * @return a human-readable multi-line description
     */
    public String format() {
        VMambaConfig c = config;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "model        %s%n", c.name()));
        sb.append(
                String.format(
                        Locale.ROOT,
                        "architecture forward_type %s, norm %s, patch embed %s, downsample %s,"
                                + " d_state %d, ssm_ratio %s, mlp_ratio %s%n",
                        c.forwardType().spelling(),
                        c.normLayer(),
                        c.patchEmbed(),
                        c.downsample(),
                        c.dState(),
                        c.ssmRatio(),
                        c.mlpRatio()));
        sb.append(
                String.format(
                        Locale.ROOT,
                        "parameters   %,d (classifier, %d classes), %,d (backbone with output"
                                + " norms)%n",
                        parameters,
                        c.numClasses(),
                        backboneParameters));
        sb.append(String.format(Locale.ROOT, "state dict   %d keys%n", stateDictKeys));
        sb.append(
                String.format(
                        Locale.ROOT,
                        "FLOPs        %.9g G at %dx%d (fvcore rules, head included)%n",
                        flops.gflops(),
                        flops.height(),
                        flops.width()));
        sb.append(
                String.format(
                        Locale.ROOT,
                        "%-6s %6s %6s %8s %8s %12s %14s%n",
                        "stage",
                        "C",
                        "depth",
                        "d_inner",
                        "dt_rank",
                        "H x W",
                        "parameters"));
        for (Stage s : stages) {
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "%-6d %6d %6d %8d %8d %12s %,14d%n",
                            s.index(),
                            s.dim(),
                            s.depth(),
                            s.dInner(),
                            s.dtRank(),
                            s.height() + " x " + s.width(),
                            s.parameters()));
        }
        return sb.toString();
    }
}
