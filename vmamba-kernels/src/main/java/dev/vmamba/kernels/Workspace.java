package dev.vmamba.kernels;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The float32 temporaries of one launch plan (span carries, checkpoints) carved out of a single
 * device allocation: one allocator call and one pointer look-up per call instead of one per array,
 * which is a visible share of a small problem's time. Each part starts on a 256-byte boundary.
 *
 * <p>Closing releases the allocation; kernels already queued on the stream still own it (the
 * PyTorch caching allocator reuses freed memory in stream order).
 */
final class Workspace implements AutoCloseable {

    private static final long ALIGN_FLOATS = 64;

    private final NDArray buffer;
    private final long base;
    private final long[] offsets;

    /**
     * @param owner manager of the allocation
     * @param device the GPU
     * @param floats sizes of the parts, in floats
     */
    Workspace(NDManager owner, Device device, long... floats) {
        offsets = new long[floats.length];
        long total = 0;
        for (int i = 0; i < floats.length; i++) {
            offsets[i] = total;
            total += (floats[i] + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
        }
        // nothing to allocate when every part is empty (single-pass plans)
        buffer = total == 0 ? null : owner.create(new Shape(total), DataType.FLOAT32, device);
        base = buffer == null ? 0 : DevicePointers.address(buffer);
    }

    /**
     * @param part index of the part, in the order of the constructor's sizes
     * @return its device address
     */
    long address(int part) {
        if (buffer == null) {
            throw new IllegalStateException("empty workspace has no part " + part);
        }
        return base + 4 * offsets[part];
    }

    @Override
    public void close() {
        if (buffer != null) {
            buffer.close();
        }
    }
}
