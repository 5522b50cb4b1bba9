package dev.vmamba.core.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.vmamba.core.config.DownsampleVersion;
import dev.vmamba.core.nn.Conv2d;
import dev.vmamba.core.nn.LayerNorm;
import dev.vmamba.core.nn.StateDictBlock;

/**
 * Convolutional downsampling between stages (spec §3.2): {@code 1} = Conv(C→2C, stride 2) then
 * {@code 3} = LayerNorm(2C); v2 uses a 2×2 kernel without padding (⌊H/2⌋), v3 a 3×3 kernel with
 * padding 1 (⌈H/2⌉). Child names are the official {@code nn.Sequential} indices.
 */
public final class ConvDownsample extends StateDictBlock {

    private final DownsampleVersion version;
    private final int channels;
    private final Conv2d conv;
    private final LayerNorm norm;

    /**
     * @param version {@link DownsampleVersion#V2} or {@link DownsampleVersion#V3}
     * @param channels input channels C (output is 2C)
     */
    public ConvDownsample(DownsampleVersion version, int channels) {
        if (version != DownsampleVersion.V2 && version != DownsampleVersion.V3) {
            throw new IllegalArgumentException("ConvDownsample is v2 or v3, got " + version);
        }
        this.version = version;
        this.channels = channels;
        int k = version == DownsampleVersion.V2 ? 2 : 3;
        int pad = version == DownsampleVersion.V2 ? 0 : 1;
        conv = registerModule("1", new Conv2d(channels, 2L * channels, k, 2, pad, 1, true));
        norm = registerModule("3", new LayerNorm(2L * channels));
    }

    /**
     * Downsamples.
     *
     * @param store the parameter store
     * @param x {@code (B, H, W, C)}
     * @param training whether this is a training pass
     * @return {@code (B, H', W', 2C)}
     */
    public NDArray apply(ParameterStore store, NDArray x, boolean training) {
        NDArray y = conv.apply(store, x.transpose(0, 3, 1, 2), training).transpose(0, 2, 3, 1);
        return norm.apply(store, y, training);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(apply(store, single(inputs, "ConvDownsample"), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {
            new Shape(
                    s.get(0),
                    version.outputSide(s.get(1)),
                    version.outputSide(s.get(2)),
                    2L * channels)
        };
    }
}
