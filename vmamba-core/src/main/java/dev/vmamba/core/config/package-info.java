/**
 * Immutable model configuration: {@link dev.vmamba.core.config.VMambaConfig} (the official {@code
 * VSSM} knobs), the decoded {@link dev.vmamba.core.config.ForwardType}, the three {@link
 * dev.vmamba.core.config.ModelFamily families} and the reader of official {@code .yaml} files.
 *
 * <p>Glossary: {@code embedDim} = C₀, {@code stageDim(i)} = C_i = d_model of stage i, {@code
 * dInner(i)} = D = d_inner = ssm_ratio·C_i, {@code dState} = N, {@code dtRank(i)} = R, {@code
 * DIRECTIONS} = K = 4, {@code L} = H·W.
 */
package dev.vmamba.core.config;
