package dev.vmamba.core.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.vmamba.core.config.VMambaConfig;
import dev.vmamba.core.nn.LayerNorm;
import dev.vmamba.core.nn.StateDictBlock;
import dev.vmamba.core.scan.ScanSelector;

/**
 * The visual state-space block (VSS block, spec §3.3), pre-norm residual:
 *
 * <pre>
 * x ← x + DropPath(SS2D(norm(x)))     if ssm_ratio > 0
 * x ← x + DropPath(MLP(norm2(x)))     if mlp_ratio > 0
 * </pre>
 *
 * Keys {@code norm.*}, {@code op.*}, {@code norm2.*}, {@code mlp.*}.
 */
public final class VSSBlock extends StateDictBlock {

    private final LayerNorm norm;
    private final SS2D op;
    private final LayerNorm norm2;
    private final Mlp mlp;
    private final double dropPath;

    /**
     * @param config the model config
     * @param stage the stage index
     * @param dropPath this block's stochastic-depth rate
     * @param scanFor picks the selective scan per call
     */
    public VSSBlock(VMambaConfig config, int stage, double dropPath, ScanSelector scanFor) {
        int c = config.stageDim(stage);
        this.dropPath = dropPath;
        if (config.hasSsm()) {
            norm = registerModule("norm", new LayerNorm(c));
            op = registerModule("op", new SS2D(config, stage, scanFor));
        } else {
            norm = null;
            op = null;
        }
        if (config.hasMlp()) {
            norm2 = registerModule("norm2", new LayerNorm(c));
            mlp =
                    registerModule(
                            "mlp",
                            new Mlp(
                                    c,
                                    config.mlpHidden(stage),
                                    config.mlpAct(),
                                    config.mlpDropRate()));
        } else {
            norm2 = null;
            mlp = null;
        }
    }

    /**
     * @return the SS2D module, or null when the block has none
     */
    public SS2D ss2d() {
        return op;
    }

    /**
     * @param store the parameter store
     * @param x {@code (B, H, W, C)}
     * @param training whether this is a training pass
     * @return {@code (B, H, W, C)}
     */
    public NDArray apply(ParameterStore store, NDArray x, boolean training) {
        return scoped(
                () -> {
                    NDArray y = x;
                    if (op != null) {
                        NDArray branch = op.apply(store, norm.apply(store, y, training), training);
                        y = y.add(DropPath.apply(branch, dropPath, training));
                    }
                    if (mlp != null) {
                        NDArray branch =
                                mlp.apply(store, norm2.apply(store, y, training), training);
                        y = y.add(DropPath.apply(branch, dropPath, training));
                    }
                    return y;
                });
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = single(inputs, "VSSBlock");
        prefetch(store, x.getDevice(), training);
        return new NDList(apply(store, x, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
