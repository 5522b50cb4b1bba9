/**
 * Model analysis that reproduces the official numbers: {@link
 * dev.vmamba.models.analysis.FlopCounter} (FLOPs as the repository's fvcore-based counter reports
 * them, spec §10) and {@link dev.vmamba.models.analysis.ModelSummary} (parameters, state-dict keys
 * and per-stage shapes).
 *
 * <p>Glossary: {@code L} = H·W positions of a stage, {@code C} = d_model of the stage, {@code D} =
 * d_inner = ssm_ratio·C, {@code N} = d_state, {@code R} = dt_rank, {@code K} = 4 scan directions.
 */
package dev.vmamba.models.analysis;
