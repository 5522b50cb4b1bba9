package dev.vmamba.core.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.vmamba.core.config.DownsampleVersion;
import dev.vmamba.core.config.VMambaConfig;
import dev.vmamba.core.nn.StateDictBlock;
import dev.vmamba.core.scan.ScanSelector;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One stage of the hierarchy ({@code layers.i}): its VSS blocks ({@code blocks.j}) and the
 * downsampling to the next stage ({@code downsample}; none after the last stage).
 */
public final class VSSLayer extends StateDictBlock {

    private final List<VSSBlock> blocks;
    private final PatchMerging2D merging;
    private final ConvDownsample convDownsample;

    /**
     * @param config the model config
     * @param stage the stage index
     * @param firstBlock index of this stage's first block over the whole model (for drop path)
     * @param scanFor picks the selective scan per call
     */
    public VSSLayer(VMambaConfig config, int stage, int firstBlock, ScanSelector scanFor) {
        List<VSSBlock> list = new ArrayList<>();
        for (int j = 0; j < config.depths().get(stage); j++) {
            list.add(
                    registerModule(
                            "blocks." + j,
                            new VSSBlock(config, stage, config.dropPath(firstBlock + j), scanFor)));
        }
        blocks = Collections.unmodifiableList(list);
        boolean last = stage == config.numStages() - 1;
        DownsampleVersion v = config.downsample();
        int c = config.stageDim(stage);
        if (last || v == DownsampleVersion.NONE) {
            merging = null;
            convDownsample = null;
        } else if (v == DownsampleVersion.V1) {
            merging = registerModule("downsample", new PatchMerging2D(c));
            convDownsample = null;
        } else {
            merging = null;
            convDownsample = registerModule("downsample", new ConvDownsample(v, c));
        }
    }

    /**
     * @return the stage's blocks
     */
    public List<VSSBlock> blocks() {
        return blocks;
    }

    /**
     * Runs the blocks only (the stage output that backbones expose, before downsampling).
     *
     * @param store the parameter store
     * @param x {@code (B, H, W, C)}
     * @param training whether this is a training pass
     * @return {@code (B, H, W, C)}
     */
    public NDArray applyBlocks(ParameterStore store, NDArray x, boolean training) {
        NDArray y = x;
        for (VSSBlock b : blocks) {
            y = b.apply(store, y, training);
        }
        return y;
    }

    /**
     * Downsamples a stage output to the next stage's input.
     *
     * @param store the parameter store
     * @param x {@code (B, H, W, C)}
     * @param training whether this is a training pass
     * @return {@code (B, H', W', 2C)}, or {@code x} after the last stage
     */
    public NDArray applyDownsample(ParameterStore store, NDArray x, boolean training) {
        if (merging != null) {
            return scoped(() -> merging.apply(store, x, training));
        }
        if (convDownsample != null) {
            return scoped(() -> convDownsample.apply(store, x, training));
        }
        return x;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = single(inputs, "VSSLayer");
        prefetch(store, x.getDevice(), training);
        return new NDList(applyDownsample(store, applyBlocks(store, x, training), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        if (merging != null) {
            return merging.getOutputShapes(inputShapes);
        }
        if (convDownsample != null) {
            return convDownsample.getOutputShapes(inputShapes);
        }
        return new Shape[] {s};
    }
}
