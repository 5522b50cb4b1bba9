package dev.vmamba.core.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.vmamba.core.nn.LayerNorm;
import dev.vmamba.core.nn.Linear;
import dev.vmamba.core.nn.StateDictBlock;

/**
 * The classification head ({@code classifier}, spec §3.6): LayerNorm over channels, global average
 * pooling, linear layer. Keys {@code norm.*}, {@code head.*}.
 */
public final class Classifier extends StateDictBlock {

    private final LayerNorm norm;
    private final Linear head;
    private final int numClasses;

    /**
     * @param channels channels of the last stage
     * @param numClasses number of classes
     */
    public Classifier(int channels, int numClasses) {
        this.numClasses = numClasses;
        norm = registerModule("norm", new LayerNorm(channels));
        head = registerModule("head", new Linear(channels, numClasses, true));
    }

    /**
     * @param store the parameter store
     * @param x {@code (B, H, W, C)} channel-last last-stage map
     * @param training whether this is a training pass
     * @return logits {@code (B, numClasses)}
     */
    public NDArray apply(ParameterStore store, NDArray x, boolean training) {
        return scoped(
                () -> {
                    NDArray normed = norm.apply(store, x, training);
                    long b = normed.getShape().get(0);
                    long c = normed.getShape().get(3);
                    // AdaptiveAvgPool2d(1): the mean over all H·W positions
                    NDArray pooled = normed.reshape(b, -1, c).mean(new int[] {1});
                    return head.apply(store, pooled, training);
                });
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = single(inputs, "Classifier");
        prefetch(store, x.getDevice(), training);
        return new NDList(apply(store, x, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), numClasses)};
    }
}
