package dev.vmamba.models;

import dev.vmamba.core.config.ModelFamily;
import dev.vmamba.core.config.VMambaConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The nine released VMamba models (spec §1.2–§1.3) and a tiny test model. Each preset states only
 * what differs from its {@link ModelFamily}'s tiny configuration: width, depths and drop-path rate.
 * Names follow the paper/README: {@code vmamba-t} etc. are the final (v2v, s1l*) models, {@code
 * -s2l*} the v2 models and {@code -v0} the original ones.
 */
public enum VMambaPreset {
    /** VMamba-T v0 (arXiv v1). */
    V0_TINY(
            "vmamba-t-v0",
            ModelFamily.V0,
            96,
            List.of(2, 2, 9, 2),
            0.2,
            new PretrainedWeights(
                    "vssmtiny_dp01_ckpt_epoch_292.pth", "#v0cls", 82.2, 22_893_448L, 5.62689504),
            List.of("vmambav0_tiny_224", "vssm_tiny")),
    /** VMamba-S v0. */
    V0_SMALL(
            "vmamba-s-v0",
            ModelFamily.V0,
            96,
            List.of(2, 2, 27, 2),
            0.3,
            new PretrainedWeights(
                    "vssmsmall_dp03_ckpt_epoch_238.pth", "#v0cls", 83.5, 44_417_416L, 11.231522784),
            List.of("vmambav0_small_224", "vssm_small")),
    /** VMamba-B v0. */
    V0_BASE(
            "vmamba-b-v0",
            ModelFamily.V0,
            128,
            List.of(2, 2, 27, 2),
            0.6,
            new PretrainedWeights(
                    "vssmbase_dp06_ckpt_epoch_241.pth", "#v0cls", 83.7, 76_254_056L, 18.020115136),
            List.of("vmambav0_base_224", "vssm_base")),
    /** VMamba-T[s2l5]. */
    V2_TINY(
            "vmamba-t-s2l5",
            ModelFamily.V2,
            96,
            List.of(2, 2, 5, 2),
            0.2,
            new PretrainedWeights(
                    "vssm_tiny_0230_ckpt_epoch_262.pth", "#v2cls", 82.5, 30_705_832L, 4.85774208),
            List.of("vmambav2_tiny_224", "vssm1_tiny_0230")),
    /** VMamba-S[s2l15]. */
    V2_SMALL(
            "vmamba-s-s2l15",
            ModelFamily.V2,
            96,
            List.of(2, 2, 15, 2),
            0.3,
            new PretrainedWeights(
                    "vssm_small_0229_ckpt_epoch_222.pth", "#v2cls", 83.6, 50_147_752L, 8.71577472),
            List.of("vmambav2_small_224", "vssm1_small_0229")),
    /** VMamba-B[s2l15]. */
    V2_BASE(
            "vmamba-b-s2l15",
            ModelFamily.V2,
            128,
            List.of(2, 2, 15, 2),
            0.6,
            new PretrainedWeights(
                    "vssm_base_0229_ckpt_epoch_237.pth", "#v2cls", 83.9, 88_557_800L, 15.358944256),
            List.of("vmambav2_base_224", "vssm1_base_0229")),
    /** VMamba-T[s1l8], the paper's VMamba-T. */
    V2V_TINY(
            "vmamba-t",
            ModelFamily.V2V,
            96,
            List.of(2, 2, 8, 2),
            0.2,
            new PretrainedWeights(
                    "vssm1_tiny_0230s_ckpt_epoch_264.pth",
                    "#v2cls",
                    82.6,
                    30_249_064L,
                    4.905609984),
            List.of("vmamba-t-s1l8", "vmambav2v_tiny_224", "vssm1_tiny_0230s")),
    /** VMamba-S[s1l20], the paper's VMamba-S. */
    V2V_SMALL(
            "vmamba-s",
            ModelFamily.V2V,
            96,
            List.of(2, 2, 20, 2),
            0.3,
            new PretrainedWeights(
                    "vssm1_small_0229s_ckpt_epoch_240.pth",
                    "#v2cls",
                    83.3,
                    49_012_840L,
                    8.612211456),
            List.of("vmamba-s-s1l20", "vmambav2v_small_224", "vssm1_small_0229s")),
    /** VMamba-B[s1l20], the paper's VMamba-B. */
    V2V_BASE(
            "vmamba-b",
            ModelFamily.V2V,
            128,
            List.of(2, 2, 20, 2),
            0.5,
            new PretrainedWeights(
                    "vssm1_base_0229s_ckpt_epoch_225.pth",
                    "#v2cls",
                    83.8,
                    86_614_504L,
                    15.220859904),
            List.of("vmamba-b-s1l20", "vmambav2v_base_224", "vssm1_base_0229s")),
    /**
     * A tiny v2v-family model for fast tests (embed 16, depths 1-1-2-1, 10 classes); no weights.
     */
    TEST("vmamba-test", ModelFamily.V2V, 16, List.of(1, 1, 2, 1), 0.0, null, List.of());

    private final String id;
    private final ModelFamily family;
    private final int embedDim;
    private final List<Integer> depths;
    private final double dropPathRate;
    private final PretrainedWeights weights;
    private final List<String> aliases;

    VMambaPreset(
            String id,
            ModelFamily family,
            int embedDim,
            List<Integer> depths,
            double dropPathRate,
            PretrainedWeights weights,
            List<String> aliases) {
        this.id = id;
        this.family = family;
        this.embedDim = embedDim;
        this.depths = depths;
        this.dropPathRate = dropPathRate;
        this.weights = weights;
        this.aliases = aliases;
    }

    /**
     * @return other names of this preset: the official config file's stem (e.g. {@code
     *     vmambav2v_tiny_224}), its {@code MODEL.NAME} (e.g. {@code vssm1_tiny_0230s}) and, for the
     *     final models, the {@code s1l*} name
     */
    public List<String> aliases() {
        return aliases;
    }

    /**
     * @return the preset's name, e.g. {@code vmamba-t-v0}
     */
    public String id() {
        return id;
    }

    /**
     * @return the family
     */
    public ModelFamily family() {
        return family;
    }

    /**
     * @return the official release's metadata, or null for {@link #TEST}
     */
    public PretrainedWeights weights() {
        return weights;
    }

    /**
     * @return the architecture (ImageNet-1k head; 10 classes for {@link #TEST})
     */
    public VMambaConfig config() {
        VMambaConfig.Builder b =
                family.base().name(id).embedDim(embedDim).depths(depths).dropPathRate(dropPathRate);
        if (this == TEST) {
            b.numClasses(10);
        }
        return b.build();
    }

    /**
     * Finds a preset by name (case-insensitive; the enum constant name works too).
     *
     * @param name e.g. {@code vmamba-t}, {@code VMAMBA-T-V0}, {@code V2V_TINY}, or an alias such as
     *     {@code vmambav2v_tiny_224}
     * @return the preset
     * @throws IllegalArgumentException naming the known presets
     */
    public static VMambaPreset of(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (VMambaPreset p : values()) {
            if (p.id.equals(n)
                    || p.name().toLowerCase(Locale.ROOT).equals(n)
                    || p.aliases.contains(n)) {
                return p;
            }
        }
        List<String> known = new ArrayList<>();
        for (VMambaPreset p : values()) {
            known.add(p.id);
        }
        throw new IllegalArgumentException("unknown preset '" + name + "'; known: " + known);
    }

    /**
     * Recognises an official release checkpoint by its file name (spec §1.3), also in the {@code
     * new_<name>} form written by the January-2024 EMA helper.
     *
     * @param fileName e.g. {@code vssm1_tiny_0230s_ckpt_epoch_264.pth}
     * @return the preset whose release file this is, if any
     */
    public static Optional<VMambaPreset> forCheckpointFile(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        if (n.startsWith("new_")) {
            n = n.substring(4);
        }
        for (VMambaPreset p : values()) {
            if (p.weights != null && p.weights.fileName().equalsIgnoreCase(n)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
