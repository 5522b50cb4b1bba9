/**
 * Ready-made VMamba models: the released {@link dev.vmamba.models.VMambaPreset presets} with their
 * {@link dev.vmamba.models.PretrainedWeights metadata}, checkpoint readers and key mapping, and DJL
 * integration.
 */
package dev.vmamba.models;
