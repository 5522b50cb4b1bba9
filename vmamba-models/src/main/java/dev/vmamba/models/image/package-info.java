/**
 * Image input as the official evaluation prepares it (spec §9): {@link
 * dev.vmamba.models.image.EvalTransform} (resize the shorter side, centre crop, normalise), the
 * Pillow-compatible resampling it relies on ({@link dev.vmamba.models.image.PillowResample}),
 * decoding and checking of image files ({@link dev.vmamba.models.image.ImageFiles}, {@link
 * dev.vmamba.models.image.RgbImage}) and the ImageNet-1k class names ({@link
 * dev.vmamba.models.image.ImageNetClasses}).
 *
 * <p>The official pipeline is torchvision on PIL images: {@code Resize(256, BICUBIC)} (Pillow's
 * antialiased resampling), {@code CenterCrop(224)}, {@code ToTensor}, {@code Normalize(ImageNet
 * mean/std)}. This package reproduces each step in Java, including Pillow's fixed-point arithmetic
 * and torchvision's rounding of sizes and crop offsets.
 */
package dev.vmamba.models.image;
