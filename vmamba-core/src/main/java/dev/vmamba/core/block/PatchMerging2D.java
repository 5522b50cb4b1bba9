package dev.vmamba.core.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.vmamba.core.nn.LayerNorm;
import dev.vmamba.core.nn.Linear;
import dev.vmamba.core.nn.StateDictBlock;

/**
 * Swin patch merging, the v1 downsampling between stages (spec §3.2): gathers each 2×2
 * neighbourhood into one token of 4C channels, normalises and projects to 2C. Odd sizes are
 * zero-padded at the bottom/right first (the correct padding; see spec §3.2 on the official
 * channel-first bug). Keys {@code norm.{weight,bias}} and {@code reduction.weight}.
 */
public final class PatchMerging2D extends StateDictBlock {

    private final int channels;
    private final LayerNorm norm;
    private final Linear reduction;

    /**
     * @param channels input channels C (output is 2C)
     */
    public PatchMerging2D(int channels) {
        this.channels = channels;
        // official registration order: reduction, then norm
        reduction = registerModule("reduction", new Linear(4L * channels, 2L * channels, false));
        norm = registerModule("norm", new LayerNorm(4L * channels));
    }

    /**
     * The parameter-free part: pad odd sizes and gather the four sub-grids in the official order
     * {@code x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2]}.
     *
     * @param x {@code (B, H, W, C)}
     * @return {@code (B, ⌈H/2⌉, ⌈W/2⌉, 4C)}
     */
    public static NDArray gather(NDArray x) {
        Shape s = x.getShape();
        long h = s.get(1);
        long w = s.get(2);
        if (h % 2 != 0 || w % 2 != 0) {
            // padding shape lists (before, after) pairs from the last axis backwards
            x = x.pad(new Shape(0, 0, 0, w % 2, 0, h % 2), 0);
        }
        NDArray x0 = x.get(":, 0::2, 0::2, :");
        NDArray x1 = x.get(":, 1::2, 0::2, :");
        NDArray x2 = x.get(":, 0::2, 1::2, :");
        NDArray x3 = x.get(":, 1::2, 1::2, :");
        return NDArrays.concat(new NDList(x0, x1, x2, x3), 3);
    }

    /**
     * Merges patches.
     *
     * @param store the parameter store
     * @param x {@code (B, H, W, C)}
     * @param training whether this is a training pass
     * @return {@code (B, ⌈H/2⌉, ⌈W/2⌉, 2C)}
     */
    public NDArray apply(ParameterStore store, NDArray x, boolean training) {
        return reduction.apply(store, norm.apply(store, gather(x), training), training);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(apply(store, single(inputs, "PatchMerging2D"), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {
            new Shape(s.get(0), (s.get(1) + 1) / 2, (s.get(2) + 1) / 2, 2L * channels)
        };
    }
}
