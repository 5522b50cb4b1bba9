/**
 * VMamba (Visual State Space Model, arXiv 2401.10166) for DJL: the {@link dev.vmamba.core.VMamba}
 * model block and its backbone contract ({@link dev.vmamba.core.FeatureInfo}). Layers live in
 * {@code block}, configuration in {@code config}, the selective scan in {@code scan}, tensor files
 * in {@code io}.
 */
package dev.vmamba.core;
