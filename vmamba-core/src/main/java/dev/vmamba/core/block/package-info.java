/**
 * The layers of VMamba as DJL blocks, each named after the paper/official module and holding the
 * official state-dict names: {@link dev.vmamba.core.block.PatchEmbed} (stem), {@link
 * dev.vmamba.core.block.SS2D} (2-D selective scan), {@link dev.vmamba.core.block.VSSBlock}, {@link
 * dev.vmamba.core.block.Mlp}, {@link dev.vmamba.core.block.PatchMerging2D} and {@link
 * dev.vmamba.core.block.ConvDownsample} (between stages), {@link dev.vmamba.core.block.VSSLayer}
 * (one stage) and {@link dev.vmamba.core.block.Classifier}.
 *
 * <p>Activations between blocks are channel-last {@code (B, H, W, C)}; only the model's public
 * outputs are NCHW. Glossary: {@code dModel} = C, {@code dInner} = D = d_inner, {@code dState} = N,
 * {@code dtRank} = R, {@code K} = 4 directions, {@code L} = H·W.
 */
package dev.vmamba.core.block;
