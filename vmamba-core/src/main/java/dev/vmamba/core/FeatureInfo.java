package dev.vmamba.core;

/**
 * Describes one multi-scale feature map a VMamba backbone exposes (the contract detection and
 * segmentation necks consume, like timm's {@code feature_info}).
 *
 * @param stage the stage index
 * @param channels the channels of the map
 * @param reduction the total stride relative to the input image (4, 8, 16, 32 for released models)
 * @param module the official module whose output this is, e.g. {@code layers.2}
 */
public record FeatureInfo(int stage, int channels, int reduction, String module) {}
