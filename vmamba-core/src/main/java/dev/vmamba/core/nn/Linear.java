package dev.vmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * {@code torch.nn.Linear} (and VMamba's {@code Linear2d}, which is the same map applied to the
 * channel axis): {@code y = x·Wᵀ + b} on the last axis, weight {@code (out, in)}, keys {@code
 * weight} and {@code bias}.
 */
public final class Linear extends StateDictBlock {

    private final long in;
    private final long out;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * Creates the layer with VMamba's initialisation: trunc-normal(0.02) weight, zero bias.
     *
     * @param in input features
     * @param out output features
     * @param withBias whether the layer has a bias
     */
    public Linear(long in, long out, boolean withBias) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException(
                    "Linear needs positive sizes, got " + in + "→" + out);
        }
        this.in = in;
        this.out = out;
        weight =
                registerParameter(
                        "weight",
                        Parameter.Type.WEIGHT,
                        new Shape(out, in),
                        Initializers.truncNormal(0.02));
        bias =
                withBias
                        ? registerParameter(
                                "bias", Parameter.Type.BIAS, new Shape(out), Initializers.zeros())
                        : null;
    }

    /**
     * Applies {@code y = x·Wᵀ + b}.
     *
     * @param x {@code (..., in)}
     * @param weight {@code (out, in)}
     * @param bias {@code (out)} or null
     * @return {@code (..., out)}
     */
    public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
    }

    /**
     * @return the number of input features
     */
    public long inFeatures() {
        return in;
    }

    /**
     * @return the number of output features
     */
    public long outFeatures() {
        return out;
    }

    /**
     * Applies the layer with this block's parameters.
     *
     * @param store the parameter store
     * @param x {@code (..., in)}
     * @param training whether this is a training pass
     * @return {@code (..., out)}
     */
    public NDArray apply(ParameterStore store, NDArray x, boolean training) {
        if (x.getShape().get(x.getShape().dimension() - 1) != in) {
            throw new IllegalArgumentException(
                    "Linear expects "
                            + in
                            + " input features on the last axis, got "
                            + x.getShape());
        }
        return linear(
                x,
                value(store, weight, x, training),
                bias == null ? null : value(store, bias, x, training));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(apply(store, single(inputs, "Linear"), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {s.slice(0, s.dimension() - 1).add(out)};
    }
}
