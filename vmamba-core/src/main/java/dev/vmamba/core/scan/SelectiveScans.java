package dev.vmamba.core.scan;

import ai.djl.Device;
import java.util.EnumMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds selective-scan backends and resolves {@link ScanBackend#AUTO}. Explicit choices are
 * honoured or refused with the reason; {@code AUTO} logs what it picked the first time per device
 * kind and mode, and never silently falls back from an explicit choice.
 */
public final class SelectiveScans {

    private static final Logger LOG = LoggerFactory.getLogger(SelectiveScans.class);
    private static final Map<ScanBackend, SelectiveScan> CACHE = new EnumMap<>(ScanBackend.class);
    private static final Map<String, Boolean> LOGGED = new ConcurrentHashMap<>();

    private SelectiveScans() {}

    /**
     * Returns the implementation of an explicit backend.
     *
     * @param backend {@link ScanBackend#JAVA}, {@link ScanBackend#NDARRAY} or {@link
     *     ScanBackend#CUDA}
     * @return the shared instance
     * @throws UnsupportedOperationException if the backend is not available here, with why
     */
    public static synchronized SelectiveScan get(ScanBackend backend) {
        if (backend == ScanBackend.AUTO) {
            throw new IllegalArgumentException("AUTO is resolved per call: use resolve()");
        }
        SelectiveScan cached = CACHE.get(backend);
        if (cached != null) {
            return cached;
        }
        SelectiveScan created;
        switch (backend) {
            case JAVA:
                created = new JavaSelectiveScan();
                break;
            case NDARRAY:
                created = new NDArraySelectiveScan();
                break;
            default:
                created = fromProvider(backend);
        }
        CACHE.put(backend, created);
        return created;
    }

    /**
     * Whether an explicit backend is available here.
     *
     * @param backend the backend
     * @return true if {@link #get} would succeed
     */
    public static boolean isAvailable(ScanBackend backend) {
        switch (backend) {
            case AUTO:
            case JAVA:
            case NDARRAY:
                return true;
            default:
                SelectiveScanProvider p = provider(backend);
                return p != null && p.isAvailable();
        }
    }

    /**
     * Why a backend is unavailable.
     *
     * @param backend the backend
     * @return the reason, or an empty string when it is available
     */
    public static String unavailableReason(ScanBackend backend) {
        if (isAvailable(backend)) {
            return "";
        }
        SelectiveScanProvider p = provider(backend);
        return p == null
                ? "no provider for " + backend + " on the class path (add vmamba-kernels)"
                : p.unavailableReason();
    }

    /**
     * Chooses the scan for one call.
     *
     * @param requested the configured backend
     * @param device the device of the inputs
     * @param needsGradient whether DJL autograd must see through the scan
     * @return the scan to use
     * @throws IllegalArgumentException if an explicit backend cannot run on {@code device} or
     *     cannot provide gradients
     */
    public static SelectiveScan resolve(
            ScanBackend requested, Device device, boolean needsGradient) {
        if (requested != ScanBackend.AUTO) {
            SelectiveScan s = get(requested);
            if (!s.supports(device)) {
                throw new IllegalArgumentException(
                        "scan backend " + requested + " cannot run on " + device);
            }
            if (needsGradient && requested != ScanBackend.NDARRAY) {
                throw new IllegalArgumentException(
                        "scan backend "
                                + requested
                                + " is not differentiable by DJL autograd;"
                                + " use NDARRAY (or AUTO) for training");
            }
            return s;
        }
        ScanBackend pick;
        String why;
        boolean gpu = Device.Type.GPU.equals(device.getDeviceType());
        if (needsGradient) {
            pick = ScanBackend.NDARRAY;
            why = "gradients are needed and only the NDARRAY scan is differentiable by DJL";
        } else if (!gpu && Device.Type.CPU.equals(device.getDeviceType())) {
            pick = ScanBackend.JAVA;
            why =
                    "CPU inference ("
                            + ((JavaSelectiveScan) get(ScanBackend.JAVA)).kernelName()
                            + " kernel)";
        } else if (gpu && isAvailable(ScanBackend.CUDA)) {
            pick = ScanBackend.CUDA;
            why = "GPU inference";
        } else {
            pick = ScanBackend.NDARRAY;
            why =
                    gpu
                            ? "CUDA kernels unavailable: " + unavailableReason(ScanBackend.CUDA)
                            : "no specialised backend for " + device;
        }
        String key = device.getDeviceType() + "/" + needsGradient;
        if (LOGGED.putIfAbsent(key, Boolean.TRUE) == null) {
            LOG.info("selective scan AUTO -> {} on {} ({})", pick, device, why);
        }
        return get(pick);
    }

    private static SelectiveScan fromProvider(ScanBackend backend) {
        SelectiveScanProvider p = provider(backend);
        if (p == null) {
            throw new UnsupportedOperationException(
                    "scan backend "
                            + backend
                            + " has no provider on the class path (add the"
                            + " vmamba-kernels module)");
        }
        if (!p.isAvailable()) {
            throw new UnsupportedOperationException(
                    "scan backend " + backend + " is not available: " + p.unavailableReason());
        }
        return p.create();
    }

    private static SelectiveScanProvider provider(ScanBackend backend) {
        for (SelectiveScanProvider p : ServiceLoader.load(SelectiveScanProvider.class)) {
            if (p.backend() == backend) {
                return p;
            }
        }
        return null;
    }
}
