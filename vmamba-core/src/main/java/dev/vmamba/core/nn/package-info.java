/**
 * PyTorch-shaped building blocks: {@link dev.vmamba.core.nn.StateDictBlock} (a DJL block whose
 * parameters carry official state-dict names), {@link dev.vmamba.core.nn.Linear}, {@link
 * dev.vmamba.core.nn.LayerNorm}, {@link dev.vmamba.core.nn.Conv2d}, activations and the official
 * initialisations.
 *
 * <p>Glossary: {@code in}/{@code out} = feature counts, weight layouts follow PyTorch ({@code (out,
 * in)} for linear maps, {@code (out, in/groups, k, k)} for convolutions).
 */
package dev.vmamba.core.nn;
