package dev.vmamba.kernels;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * One GPU with the kernel module loaded in its primary context (shared with libtorch), the device's
 * limits, and the raw launch of a kernel on the legacy default stream -- the stream PyTorch's eager
 * operations use -- so launches are ordered with DJL operations without extra synchronisation.
 *
 * <p>Package-private: no JCuda type leaves this package's raw tier.
 */
final class CudaDevice {

    /** Synchronise and check after every launch ({@code -Dvmamba.cuda.sync=true}) to debug. */
    static final boolean SYNC_AFTER_LAUNCH = Boolean.getBoolean("vmamba.cuda.sync");

    private final int ordinal;
    private final CUcontext context = new CUcontext();
    private final CUmodule module = new CUmodule();
    private final String name;
    private final int multiprocessors;
    private final int maxSharedOptin;
    private final int computeCapability;
    private final Map<String, Kernel> kernels = new HashMap<>();

    /** A loaded kernel and the limits the compiler gave it. */
    static final class Kernel {
        final String name;
        final CUfunction function;
        final int maxThreads;
        final int registers;

        Kernel(String name, CUfunction function, int maxThreads, int registers) {
            this.name = name;
            this.function = function;
            this.maxThreads = maxThreads;
            this.registers = registers;
        }
    }

    CudaDevice(int ordinal, CUdevice device, byte[] fatbin) {
        this.ordinal = ordinal;
        JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
        JCudaDriver.cuCtxSetCurrent(context);
        JCudaDriver.cuModuleLoadData(module, fatbin);
        byte[] buf = new byte[256];
        JCudaDriver.cuDeviceGetName(buf, buf.length, device);
        int len = 0;
        while (len < buf.length && buf[len] != 0) {
            len++;
        }
        this.name = new String(buf, 0, len, StandardCharsets.US_ASCII);
        this.multiprocessors =
                attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        this.maxSharedOptin =
                attribute(
                        device,
                        CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
        this.computeCapability =
                10
                                * attribute(
                                        device,
                                        CUdevice_attribute
                                                .CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
                        + attribute(
                                device,
                                CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
    }

    private static int attribute(CUdevice device, int attr) {
        int[] v = {0};
        JCudaDriver.cuDeviceGetAttribute(v, attr, device);
        return v[0];
    }

    int ordinal() {
        return ordinal;
    }

    String name() {
        return name;
    }

    int multiprocessors() {
        return multiprocessors;
    }

    /** Largest dynamic shared memory a block may opt in to, in bytes. */
    int maxSharedBytes() {
        return maxSharedOptin;
    }

    int computeCapability() {
        return computeCapability;
    }

    /** Makes this device's primary context current on the calling thread. */
    void makeCurrent() {
        JCudaDriver.cuCtxSetCurrent(context);
    }

    /**
     * A kernel of the module, with its dynamic shared-memory limit raised to the device maximum.
     *
     * @param kernelName the {@code extern "C"} name
     * @return the kernel
     */
    synchronized Kernel kernel(String kernelName) {
        Kernel k = kernels.get(kernelName);
        if (k == null) {
            makeCurrent();
            CUfunction f = new CUfunction();
            JCudaDriver.cuModuleGetFunction(f, module, kernelName);
            int[] v = {0};
            JCudaDriver.cuFuncGetAttribute(
                    v, CUfunction_attribute.CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f);
            int staticShared = v[0];
            JCudaDriver.cuFuncSetAttribute(
                    f,
                    CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                    maxSharedOptin - staticShared);
            JCudaDriver.cuFuncGetAttribute(
                    v, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, f);
            int maxThreads = v[0];
            JCudaDriver.cuFuncGetAttribute(v, CUfunction_attribute.CU_FUNC_ATTRIBUTE_NUM_REGS, f);
            k = new Kernel(kernelName, f, maxThreads, v[0]);
            kernels.put(kernelName, k);
        }
        return k;
    }

    /**
     * Launches a kernel on the default stream with one by-value {@link ScanParams} argument.
     * Callers have validated every argument; this only checks the launch geometry against the
     * kernel's limits.
     */
    void launch(Kernel k, int gridX, int gridY, int block, int sharedBytes, ScanParams params) {
        if (block > k.maxThreads || sharedBytes > maxSharedOptin || gridY > 65535 || gridX < 1) {
            throw new IllegalArgumentException(
                    String.format(
                            "launch of %s with grid (%d, %d), %d threads and %d bytes of shared"
                                    + " memory exceeds its limits (%d threads, %d bytes, grid y ≤"
                                    + " 65535)",
                            k.name,
                            gridX,
                            gridY,
                            block,
                            sharedBytes,
                            k.maxThreads,
                            maxSharedOptin));
        }
        makeCurrent();
        byte[] bytes = params.bytes();
        JCudaDriver.cuLaunchKernel(
                k.function,
                gridX,
                gridY,
                1,
                block,
                1,
                1,
                sharedBytes,
                (CUstream) null,
                Pointer.to(Pointer.to(bytes)),
                null);
        if (SYNC_AFTER_LAUNCH) {
            JCudaDriver.cuCtxSynchronize();
        }
    }

    @Override
    public String toString() {
        return "cuda:" + ordinal + " (" + name + ")";
    }
}
