package dev.vmamba.core.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.vmamba.core.config.PatchEmbedVersion;
import dev.vmamba.core.config.VMambaConfig;
import dev.vmamba.core.nn.Activation;
import dev.vmamba.core.nn.Conv2d;
import dev.vmamba.core.nn.LayerNorm;
import dev.vmamba.core.nn.StateDictBlock;

/**
 * The stem ({@code patch_embed}, spec §3.1): NCHW images to channel-last stage-0 tokens.
 *
 * <ul>
 *   <li>v1: {@code 0} = Conv(in→C₀, k = s = patch), {@code 2} = LayerNorm(C₀).
 *   <li>v2: {@code 0} = Conv(in→C₀/2, k = patch/2+1, s = patch/2, p = 1), {@code 2} = LayerNorm,
 *       GELU, {@code 5} = Conv(C₀/2→C₀, same geometry), {@code 7} = LayerNorm(C₀).
 * </ul>
 *
 * Child names are the official {@code nn.Sequential} indices, so keys read {@code
 * patch_embed.0.weight} etc.
 */
public final class PatchEmbed extends StateDictBlock {

    private final PatchEmbedVersion version;
    private final int patchSize;
    private final int embedDim;
    private final Conv2d conv0;
    private final LayerNorm norm2;
    private final Conv2d conv5;
    private final LayerNorm norm7;

    /**
     * Builds the stem described by a config.
     *
     * @param config the model config
     */
    public PatchEmbed(VMambaConfig config) {
        this.version = config.patchEmbed();
        this.patchSize = config.patchSize();
        this.embedDim = config.embedDim();
        int c0 = embedDim;
        int in = config.inChans();
        if (version == PatchEmbedVersion.V1) {
            conv0 = registerModule("0", new Conv2d(in, c0, patchSize, patchSize, 0, 1, true));
            norm2 = config.patchNorm() ? registerModule("2", new LayerNorm(c0)) : null;
            conv5 = null;
            norm7 = null;
        } else {
            if (c0 % 2 != 0) {
                throw new IllegalArgumentException(
                        "PATCHEMBED v2 needs an even EMBED_DIM, got " + c0);
            }
            int s = patchSize / 2;
            int k = s + 1;
            conv0 = registerModule("0", new Conv2d(in, c0 / 2, k, s, 1, 1, true));
            norm2 = config.patchNorm() ? registerModule("2", new LayerNorm(c0 / 2)) : null;
            conv5 = registerModule("5", new Conv2d(c0 / 2, c0, k, s, 1, 1, true));
            norm7 = config.patchNorm() ? registerModule("7", new LayerNorm(c0)) : null;
        }
    }

    /**
     * Embeds images.
     *
     * @param store the parameter store
     * @param images {@code (B, in, H, W)}
     * @param training whether this is a training pass
     * @return {@code (B, H₀, W₀, C₀)} channel-last
     */
    public NDArray apply(ParameterStore store, NDArray images, boolean training) {
        NDArray x = conv0.apply(store, images, training).transpose(0, 2, 3, 1);
        if (norm2 != null) {
            x = norm2.apply(store, x, training);
        }
        if (version == PatchEmbedVersion.V1) {
            return x;
        }
        x = Activation.GELU.apply(x).transpose(0, 3, 1, 2);
        x = conv5.apply(store, x, training).transpose(0, 2, 3, 1);
        return norm7 != null ? norm7.apply(store, x, training) : x;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(apply(store, single(inputs, "PatchEmbed"), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {
            new Shape(
                    s.get(0),
                    version.outputSide(s.get(2), patchSize),
                    version.outputSide(s.get(3), patchSize),
                    embedDim)
        };
    }
}
