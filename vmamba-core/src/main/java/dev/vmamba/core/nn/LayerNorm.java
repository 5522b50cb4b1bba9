package dev.vmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * {@code torch.nn.LayerNorm(C)} over the last axis (biased variance, {@code eps = 1e-5}, affine),
 * keys {@code weight} and {@code bias}. VMamba's {@code LayerNorm2d} is the same function on the
 * channel axis of a channel-first tensor; this project keeps activations channel-last, so one class
 * serves both and both load the same two keys.
 */
public final class LayerNorm extends StateDictBlock {

    /** PyTorch's default epsilon, used by every VMamba norm. */
    public static final float EPS = 1e-5f;

    private final long channels;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * Creates the layer with weight 1 and bias 0.
     *
     * @param channels the size of the normalised (last) axis
     */
    public LayerNorm(long channels) {
        if (channels <= 0) {
            throw new IllegalArgumentException("LayerNorm needs a positive size, got " + channels);
        }
        this.channels = channels;
        weight =
                registerParameter(
                        "weight", Parameter.Type.GAMMA, new Shape(channels), Initializers.ones());
        bias =
                registerParameter(
                        "bias", Parameter.Type.BETA, new Shape(channels), Initializers.zeros());
    }

    /**
     * Normalises the last axis.
     *
     * @param x {@code (..., C)}
     * @param weight {@code (C)}
     * @param bias {@code (C)}
     * @return {@code (..., C)}
     */
    public static NDArray layerNorm(NDArray x, NDArray weight, NDArray bias) {
        long c = x.getShape().get(x.getShape().dimension() - 1);
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(c), weight, bias, EPS)
                .singletonOrThrow();
    }

    /**
     * Applies the layer with this block's parameters.
     *
     * @param store the parameter store
     * @param x {@code (..., C)}
     * @param training whether this is a training pass
     * @return {@code (..., C)}
     */
    public NDArray apply(ParameterStore store, NDArray x, boolean training) {
        if (x.getShape().get(x.getShape().dimension() - 1) != channels) {
            throw new IllegalArgumentException(
                    "LayerNorm expects "
                            + channels
                            + " channels on the last axis, got "
                            + x.getShape());
        }
        return layerNorm(x, value(store, weight, x, training), value(store, bias, x, training));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(apply(store, single(inputs, "LayerNorm"), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
