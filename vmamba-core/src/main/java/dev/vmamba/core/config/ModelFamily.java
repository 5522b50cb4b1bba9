package dev.vmamba.core.config;

import dev.vmamba.core.nn.Activation;

/**
 * The three released VMamba families (spec §1.1). {@link #base()} gives the family's tiny model;
 * presets of other sizes change only the embedding width, depths and drop-path rate.
 */
public enum ModelFamily {
    /** "Vanilla VMamba" (arXiv v1): SS2D only, N = 16, patch merging, channel-last. */
    V0,
    /** s2l*: N = 1, no gate, MLP ratio 4, conv downsampling, two-conv stem, channel-first. */
    V2,
    /** s1l*: as {@link #V2} with ssm_ratio 1 (the final paper models). */
    V2V;

    /**
     * Returns the family's tiny configuration (ImageNet-1k head, embed 96).
     *
     * @return a builder holding the family's settings
     */
    public VMambaConfig.Builder base() {
        VMambaConfig.Builder b =
                VMambaConfig.builder()
                        .patchSize(4)
                        .inChans(3)
                        .numClasses(1000)
                        .embedDim(96)
                        .ssmAct(Activation.SILU)
                        .mlpAct(Activation.GELU)
                        .dtRank(VMambaConfig.DT_RANK_AUTO)
                        .ssmInit(SsmInit.V0)
                        .patchNorm(true)
                        .dropPathRate(0.2);
        switch (this) {
            case V0:
                return b.name("vssm_tiny")
                        .depths(2, 2, 9, 2)
                        .dState(16)
                        .ssmRatio(2.0)
                        .dConv(3)
                        .convBias(true)
                        .forwardType("v0")
                        .mlpRatio(0.0)
                        .downsample(DownsampleVersion.V1)
                        .patchEmbed(PatchEmbedVersion.V1)
                        .normLayer(NormLayer.LN);
            case V2:
                return b.name("vssm1_tiny_0230")
                        .depths(2, 2, 5, 2)
                        .dState(1)
                        .ssmRatio(2.0)
                        .dConv(3)
                        .convBias(false)
                        .forwardType("v05_noz")
                        .mlpRatio(4.0)
                        .downsample(DownsampleVersion.V3)
                        .patchEmbed(PatchEmbedVersion.V2)
                        .normLayer(NormLayer.LN2D);
            case V2V:
                return V2.base().name("vssm1_tiny_0230s").depths(2, 2, 8, 2).ssmRatio(1.0);
            default:
                throw new AssertionError(this);
        }
    }
}
