package dev.vmamba.models.zoo;

import ai.djl.repository.zoo.ModelZoo;
import dev.vmamba.models.BundledModel;
import dev.vmamba.models.VMambaPreset;
import java.util.Set;

/**
 * The VMamba model zoo (group id {@code dev.vmamba}), registered with DJL through {@link
 * java.util.ServiceLoader}: one artifact per released model (named as the presets, e.g. {@code
 * vmamba-t}, {@code vmamba-s-s2l15}, {@code vmamba-b-v0}), the tiny test architecture {@code
 * vmamba-test}, and the bundled micro model {@code vmamba-micro-v0}, which needs no files.
 *
 * <pre>{@code
 * Criteria<Image, Classifications> criteria = Criteria.builder()
 *         .setTypes(Image.class, Classifications.class)
 *         .optGroupId("dev.vmamba")
 *         .optArtifactId("vmamba-t")
 *         .optArgument("weights", "vssm1_tiny_0230s_ckpt_epoch_264.pth")
 *         .build();
 * }</pre>
 */
public final class VMambaModelZoo extends ModelZoo {

    /** The zoo's group id. */
    public static final String GROUP_ID = "dev.vmamba";

    /** Artifact id of the bundled micro v0 model. */
    public static final String BUNDLED_MICRO = "vmamba-micro-v0";

    /** Registers every released preset and the bundled micro model. */
    public VMambaModelZoo() {
        for (VMambaPreset p : VMambaPreset.values()) {
            addModel(new VMambaModelLoader(p));
        }
        addModel(new VMambaModelLoader(BUNDLED_MICRO, BundledModel.V0_MICRO));
    }

    @Override
    public String getGroupId() {
        return GROUP_ID;
    }

    @Override
    public Set<String> getSupportedEngines() {
        return Set.of("PyTorch");
    }
}
