/**
 * The benchmark program of the CUDA selective scan ({@link
 * dev.vmamba.kernels.bench.ScanBenchmark}): our kernels, the NDArray backend on the same GPU and,
 * from the official benchmark's output, the official kernels, at VMamba shapes.
 */
package dev.vmamba.kernels.bench;
