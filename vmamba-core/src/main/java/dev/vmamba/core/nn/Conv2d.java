package dev.vmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * {@code torch.nn.Conv2d} on NCHW input with a square kernel, symmetric zero padding and optional
 * groups (depthwise when {@code groups == in == out}); keys {@code weight (out, in/groups, k, k)}
 * and {@code bias (out)}. PyTorch's default initialisation {@code U(±1/sqrt(fan_in))}.
 */
public final class Conv2d extends StateDictBlock {

    private final long in;
    private final long out;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final int groups;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * Creates the layer.
     *
     * @param in input channels
     * @param out output channels
     * @param kernel kernel side
     * @param stride stride on both axes
     * @param padding zero padding on every side
     * @param groups channel groups ({@code in} and {@code out} must be multiples)
     * @param withBias whether the layer has a bias
     */
    public Conv2d(
            long in, long out, int kernel, int stride, int padding, int groups, boolean withBias) {
        if (in <= 0 || out <= 0 || kernel <= 0 || stride <= 0 || padding < 0 || groups <= 0) {
            throw new IllegalArgumentException(
                    String.format(
                            "invalid Conv2d(in=%d, out=%d, k=%d, s=%d, p=%d, g=%d)",
                            in, out, kernel, stride, padding, groups));
        }
        if (in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException(
                    "Conv2d channels " + in + "→" + out + " are not multiples of groups " + groups);
        }
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.groups = groups;
        Shape w = new Shape(out, in / groups, kernel, kernel);
        long fanIn = Initializers.fanIn(w);
        weight =
                registerParameter(
                        "weight", Parameter.Type.WEIGHT, w, Initializers.torchDefault(fanIn));
        bias =
                withBias
                        ? registerParameter(
                                "bias",
                                Parameter.Type.BIAS,
                                new Shape(out),
                                Initializers.torchDefault(fanIn))
                        : null;
    }

    /**
     * Applies the convolution.
     *
     * @param x {@code (B, in, H, W)}
     * @param weight {@code (out, in/groups, k, k)}
     * @param bias {@code (out)} or null
     * @param stride stride
     * @param padding zero padding
     * @param groups groups
     * @return {@code (B, out, H', W')}
     */
    public static NDArray conv2d(
            NDArray x, NDArray weight, NDArray bias, int stride, int padding, int groups) {
        return ai.djl.nn.convolutional.Conv2d.conv2d(
                        x,
                        weight,
                        bias,
                        new Shape(stride, stride),
                        new Shape(padding, padding),
                        new Shape(1, 1),
                        groups)
                .singletonOrThrow();
    }

    /**
     * Output side length for an input side length.
     *
     * @param side input height or width
     * @return output height or width
     */
    public long outputSide(long side) {
        return (side + 2L * padding - kernel) / stride + 1;
    }

    /**
     * Applies the layer with this block's parameters.
     *
     * @param store the parameter store
     * @param x {@code (B, in, H, W)}
     * @param training whether this is a training pass
     * @return {@code (B, out, H', W')}
     */
    public NDArray apply(ParameterStore store, NDArray x, boolean training) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != in) {
            throw new IllegalArgumentException("Conv2d expects (B, " + in + ", H, W), got " + s);
        }
        return conv2d(
                x,
                value(store, weight, x, training),
                bias == null ? null : value(store, bias, x, training),
                stride,
                padding,
                groups);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(apply(store, single(inputs, "Conv2d"), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {new Shape(s.get(0), out, outputSide(s.get(2)), outputSide(s.get(3)))};
    }
}
