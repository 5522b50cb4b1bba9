package dev.vmamba.core.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Stochastic depth (timm {@code DropPath}): during training, drops a residual branch for a whole
 * sample with probability {@code rate} and rescales the kept ones by {@code 1/(1-rate)}; identity
 * at inference.
 */
public final class DropPath {

    private DropPath() {}

    /**
     * Applies drop path to a residual branch.
     *
     * @param x the branch output, batch on axis 0
     * @param rate the drop probability
     * @param training whether this is a training pass
     * @return {@code x}, or {@code x·mask/(1-rate)} with one Bernoulli draw per sample
     */
    public static NDArray apply(NDArray x, double rate, boolean training) {
        if (!training || rate <= 0) {
            return x;
        }
        long[] dims = new long[x.getShape().dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = x.getShape().get(0);
        float keep = (float) (1 - rate);
        NDArray mask =
                x.getManager()
                        .randomUniform(0f, 1f, new Shape(dims), DataType.FLOAT32, x.getDevice())
                        .lt(keep)
                        .toType(x.getDataType(), false)
                        .div(keep);
        return x.mul(mask);
    }
}
