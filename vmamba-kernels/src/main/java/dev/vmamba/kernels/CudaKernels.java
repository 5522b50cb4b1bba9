package dev.vmamba.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loader of the selective-scan kernels: finds the fatbin that the build compiled into this jar
 * with {@code nvcc}, initialises the CUDA driver through JCuda and loads the module once per device
 * into that device's <em>primary</em> context, the one libtorch uses too, so that our kernels and
 * DJL's operations share memory and the default stream.
 *
 * <p>Availability is answered without side effects on machines without CUDA: a missing fatbin (nvcc
 * absent at build time), a missing driver library or a machine without GPUs each give a reason
 * instead of an error.
 */
public final class CudaKernels {

    private static final Logger LOG = LoggerFactory.getLogger(CudaKernels.class);

    /**
     * System property naming a fatbin file to load instead of the one built into the jar (kernels
     * compiled from {@code src/main/cuda} for another GPU, or with local changes).
     */
    public static final String FATBIN_PROPERTY = "vmamba.cuda.fatbin";

    /** Class-path location of the fatbin written by {@code src/main/cuda/build-fatbin.sh}. */
    static final String FATBIN = "dev/vmamba/kernels/selective_scan.fatbin";

    private static final String BUILD_INFO = "dev/vmamba/kernels/selective_scan.properties";

    /** Reason given when the jar holds no kernels. */
    public static final String NOT_BUILT = "CUDA kernels not built into this jar";

    private static final Map<Integer, CudaDevice> DEVICES = new HashMap<>();
    private static volatile String driverProblem;
    private static volatile boolean driverChecked;
    private static byte[] fatbin;

    private CudaKernels() {}

    /**
     * Whether the build compiled the kernels into this jar (nvcc was present).
     *
     * @return true if the fatbin resource exists
     */
    public static boolean isBuilt() {
        String file = System.getProperty(FATBIN_PROPERTY);
        if (file != null) {
            return Files.isRegularFile(Path.of(file));
        }
        return isBuilt(FATBIN);
    }

    static boolean isBuilt(String resource) {
        return CudaKernels.class.getClassLoader().getResource(resource) != null;
    }

    /**
     * Whether the kernels can run here: built into the jar, a CUDA driver that JCuda can load, and
     * at least one GPU.
     *
     * @return true if kernels can be launched
     */
    public static boolean isAvailable() {
        return unavailableReason().isEmpty();
    }

    /**
     * Why the kernels cannot run here.
     *
     * @return the reason, or an empty string when they are available
     */
    public static String unavailableReason() {
        return unavailableReason(FATBIN);
    }

    static String unavailableReason(String resource) {
        if (!isBuilt(resource)) {
            return NOT_BUILT;
        }
        String problem = checkDriver();
        return problem == null ? "" : problem;
    }

    /**
     * Describes how the kernels were built (compiler version and targets), for logs and reports.
     *
     * @return e.g. {@code nvcc=Build cuda_13.0..., targets=sm_80,...}, or {@link #NOT_BUILT}
     */
    public static String buildInfo() {
        if (!isBuilt()) {
            return NOT_BUILT;
        }
        try (InputStream in = CudaKernels.class.getClassLoader().getResourceAsStream(BUILD_INFO)) {
            if (in == null) {
                return "fatbin present (no build information)";
            }
            Properties p = new Properties();
            p.load(in);
            return "nvcc=" + p.getProperty("nvcc", "?") + ", targets=" + p.getProperty("targets");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The name of a CUDA device, e.g. {@code NVIDIA H100 80GB HBM3}.
     *
     * @param ordinal device ordinal
     * @return the name the driver reports
     * @throws UnsupportedOperationException if the kernels are not available here
     */
    public static String deviceName(int ordinal) {
        return device(ordinal).name();
    }

    private static synchronized String checkDriver() {
        if (!driverChecked) {
            try {
                JCudaDriver.setExceptionsEnabled(true);
                JCudaDriver.cuInit(0);
                int[] count = {0};
                JCudaDriver.cuDeviceGetCount(count);
                driverProblem = count[0] > 0 ? null : "no CUDA device found";
            } catch (LinkageError | RuntimeException e) {
                driverProblem = "CUDA driver not usable through JCuda: " + e;
            }
            driverChecked = true;
            if (driverProblem != null) {
                LOG.debug("CUDA selective scan unavailable: {}", driverProblem);
            }
        }
        return driverProblem;
    }

    /**
     * The loaded module of a device, loading it on first use.
     *
     * @param ordinal CUDA device ordinal (DJL's {@code Device.getDeviceId()})
     * @return the device
     * @throws UnsupportedOperationException if the kernels are not available here
     */
    static synchronized CudaDevice device(int ordinal) {
        CudaDevice d = DEVICES.get(ordinal);
        if (d != null) {
            return d;
        }
        String reason = unavailableReason();
        if (!reason.isEmpty()) {
            throw new UnsupportedOperationException("CUDA selective scan unavailable: " + reason);
        }
        int[] count = {0};
        JCudaDriver.cuDeviceGetCount(count);
        if (ordinal < 0 || ordinal >= count[0]) {
            throw new IllegalArgumentException(
                    "CUDA device " + ordinal + " does not exist (" + count[0] + " devices)");
        }
        CUdevice dev = new CUdevice();
        JCudaDriver.cuDeviceGet(dev, ordinal);
        d = new CudaDevice(ordinal, dev, fatbin());
        LOG.info(
                "loaded CUDA selective-scan kernels on device {} ({}, sm_{}, {} SMs; {})",
                ordinal,
                d.name(),
                d.computeCapability(),
                d.multiprocessors(),
                buildInfo());
        DEVICES.put(ordinal, d);
        return d;
    }

    private static synchronized byte[] fatbin() {
        String file = System.getProperty(FATBIN_PROPERTY);
        if (fatbin == null && file != null) {
            try {
                fatbin = Files.readAllBytes(Path.of(file));
                LOG.info("CUDA kernels loaded from {} (-D{})", file, FATBIN_PROPERTY);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the fatbin " + file, e);
            }
        }
        if (fatbin == null) {
            try (InputStream in = CudaKernels.class.getClassLoader().getResourceAsStream(FATBIN)) {
                if (in == null) {
                    throw new UnsupportedOperationException(NOT_BUILT);
                }
                fatbin = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return fatbin;
    }
}
