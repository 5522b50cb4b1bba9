package dev.vmamba.core.config;

/** What SS2D applies to the merged scan output before the gate and {@code out_proj}. */
public enum OutNorm {
    /** LayerNorm(d_inner) with keys {@code out_norm.weight/bias} (every release). */
    LAYER_NORM,
    /** Identity ({@code _onnone}). */
    NONE,
    /** Element-wise sigmoid ({@code _onsigmoid}). */
    SIGMOID
}
