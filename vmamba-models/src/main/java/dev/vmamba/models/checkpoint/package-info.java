/**
 * Reading official weight files into state dicts under the current official key names, and loading
 * them strictly into models.
 *
 * <ul>
 *   <li>{@link dev.vmamba.models.checkpoint.Checkpoints}: the entry point (read, load, convert);
 *   <li>{@link dev.vmamba.models.checkpoint.PyTorchCheckpoint}: the {@code torch.save} zip archive,
 *       read by a restricted pickle interpreter that never runs code ({@link
 *       dev.vmamba.models.checkpoint.TensorRef} for tensors, {@link
 *       dev.vmamba.models.checkpoint.PickledObject} placeholders for everything else);
 *   <li>{@link dev.vmamba.models.checkpoint.CheckpointWeights}: which weights of a training
 *       checkpoint ({@code model}, {@code model_ema}, {@code state_dict}, or a bare state dict);
 *   <li>{@link dev.vmamba.models.checkpoint.OfficialKeyMapping}: the table that maps every official
 *       key spelling (January-2024 v0, {@code classification/models}, the 2025 single-file {@code
 *       vmamba.py}, DDP and mmdet prefixes, 4-D {@code Linear2d} weights) onto the current names.
 * </ul>
 *
 * <p>Glossary of state-dict names (spec §7): {@code x_proj_weight (K, R+2N, D)}, {@code
 * dt_projs_weight (K, D, R)}, {@code dt_projs_bias (K, D)}, {@code A_logs (K·D, N)}, {@code Ds
 * (K·D)} with K = 4 scan directions, D = d_inner, N = d_state, R = dt_rank.
 */
package dev.vmamba.models.checkpoint;
