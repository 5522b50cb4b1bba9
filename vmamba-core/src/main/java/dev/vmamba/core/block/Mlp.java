package dev.vmamba.core.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.vmamba.core.nn.Activation;
import dev.vmamba.core.nn.Linear;
import dev.vmamba.core.nn.StateDictBlock;

/**
 * The channel MLP of a VSS block (spec §3.3): {@code fc2(act(fc1(x)))} with optional dropout; keys
 * {@code fc1.{weight,bias}}, {@code fc2.{weight,bias}}.
 */
public final class Mlp extends StateDictBlock {

    private final Linear fc1;
    private final Linear fc2;
    private final Activation act;
    private final double dropRate;

    /**
     * @param channels input and output channels
     * @param hidden hidden width
     * @param act the activation
     * @param dropRate dropout after the activation and after fc2
     */
    public Mlp(int channels, int hidden, Activation act, double dropRate) {
        this.act = act;
        this.dropRate = dropRate;
        fc1 = registerModule("fc1", new Linear(channels, hidden, true));
        fc2 = registerModule("fc2", new Linear(hidden, channels, true));
    }

    /**
     * @param store the parameter store
     * @param x {@code (..., C)}
     * @param training whether this is a training pass
     * @return {@code (..., C)}
     */
    public NDArray apply(ParameterStore store, NDArray x, boolean training) {
        NDArray hidden = drop(act.apply(fc1.apply(store, x, training)), training);
        return drop(fc2.apply(store, hidden, training), training);
    }

    private NDArray drop(NDArray x, boolean training) {
        return training && dropRate > 0
                ? Dropout.dropout(x, (float) dropRate, true).singletonOrThrow()
                : x;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(apply(store, single(inputs, "Mlp"), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
