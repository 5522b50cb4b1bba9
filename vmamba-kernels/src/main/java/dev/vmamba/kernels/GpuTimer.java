package dev.vmamba.kernels;

import ai.djl.Device;
import java.util.Arrays;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * Times GPU work with CUDA events recorded on the default stream, the stream the scan kernels and
 * DJL's PyTorch operations run on: the interval covers everything queued between {@link #start} and
 * {@link #stop}, including idle gaps while the host prepares launches.
 */
public final class GpuTimer implements AutoCloseable {

    private final CudaDevice device;
    private final CUevent begin = new CUevent();
    private final CUevent end = new CUevent();

    /**
     * Creates the events on a device.
     *
     * @param device a GPU
     * @throws UnsupportedOperationException if the CUDA kernels are not available
     */
    public GpuTimer(Device device) {
        if (!Device.Type.GPU.equals(device.getDeviceType())) {
            throw new IllegalArgumentException("GpuTimer needs a GPU device, got " + device);
        }
        this.device = CudaKernels.device(device.getDeviceId());
        this.device.makeCurrent();
        JCudaDriver.cuEventCreate(begin, CUevent_flags.CU_EVENT_DEFAULT);
        JCudaDriver.cuEventCreate(end, CUevent_flags.CU_EVENT_DEFAULT);
    }

    /** Records the start event. */
    public void start() {
        device.makeCurrent();
        JCudaDriver.cuEventRecord(begin, (CUstream) null);
    }

    /**
     * Records the end event and waits for it.
     *
     * @return milliseconds between the two events
     */
    public float stop() {
        device.makeCurrent();
        JCudaDriver.cuEventRecord(end, (CUstream) null);
        JCudaDriver.cuEventSynchronize(end);
        float[] ms = {0};
        JCudaDriver.cuEventElapsedTime(ms, begin, end);
        return ms[0];
    }

    /**
     * Times one call of {@code work}.
     *
     * @param work the GPU work to enqueue
     * @return milliseconds
     */
    public float time(Runnable work) {
        start();
        work.run();
        return stop();
    }

    /**
     * Median of repeated timings after warm-up runs.
     *
     * @param warmup untimed runs first
     * @param iterations timed runs
     * @param work the GPU work
     * @return the median in milliseconds
     */
    public double median(int warmup, int iterations, Runnable work) {
        for (int i = 0; i < warmup; i++) {
            work.run();
        }
        double[] t = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            t[i] = time(work);
        }
        return median(t);
    }

    /**
     * @param values samples (sorted in place)
     * @return their median
     */
    public static double median(double[] values) {
        Arrays.sort(values);
        int n = values.length;
        return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
    }

    @Override
    public void close() {
        device.makeCurrent();
        JCudaDriver.cuEventDestroy(begin);
        JCudaDriver.cuEventDestroy(end);
    }
}
