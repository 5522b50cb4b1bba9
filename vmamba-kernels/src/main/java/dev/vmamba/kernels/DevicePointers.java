package dev.vmamba.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.Buffer;
import java.nio.ByteBuffer;

/**
 * Zero-copy access to the device memory of DJL PyTorch-engine tensors.
 *
 * <p>{@code NDArray.toByteBuffer()} copies a GPU tensor to the host. The engine's package-private
 * native {@code PyTorchLibrary.torchDirectByteBuffer(handle)} instead wraps {@code data_ptr()} in a
 * direct buffer without copying; for a CUDA tensor that address is the device pointer. It is
 * reached by reflection, and the buffer's address field is read through {@code sun.misc.Unsafe}
 * (module {@code jdk.unsupported}). A buffer cannot describe more than 2 GiB, so a larger tensor is
 * addressed through a one-element view of it, whose data pointer is the tensor's own.
 *
 * <p>Contiguity is asked of the engine ({@code torchIsContiguous}); {@link #contiguous} makes a
 * dense copy on the device when needed.
 */
final class DevicePointers {

    // method handles bound to the engine's library object and to Unsafe, called with invokeExact:
    // the JIT reduces them to the native calls (a pointer look-up happens several times per scan)
    private static final MethodHandle DIRECT_BUFFER; // (long) ByteBuffer
    private static final MethodHandle IS_CONTIGUOUS; // (long) boolean
    private static final MethodHandle TO_CONTIGUOUS; // (long) long
    private static final MethodHandle GET_LONG; // (Object, long) long
    private static final long ADDRESS_OFFSET;
    private static final Throwable PROBLEM;

    static {
        MethodHandle direct = null;
        MethodHandle isContiguous = null;
        MethodHandle toContiguous = null;
        MethodHandle getLong = null;
        long offset = -1;
        Throwable problem = null;
        try {
            Class<?> c = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
            Field f = c.getDeclaredField("LIB");
            f.setAccessible(true);
            Object lib = f.get(null);
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            direct = bound(lookup, c, "torchDirectByteBuffer", lib);
            isContiguous = bound(lookup, c, "torchIsContiguous", lib);
            toContiguous = bound(lookup, c, "torchToContiguous", lib);
            Class<?> u = Class.forName("sun.misc.Unsafe");
            Field theUnsafe = u.getDeclaredField("theUnsafe");
            theUnsafe.setAccessible(true);
            Object unsafe = theUnsafe.get(null);
            MethodHandle fieldOffset =
                    lookup.findVirtual(
                            u, "objectFieldOffset", MethodType.methodType(long.class, Field.class));
            offset = (long) fieldOffset.invoke(unsafe, Buffer.class.getDeclaredField("address"));
            getLong =
                    lookup.findVirtual(
                                    u,
                                    "getLong",
                                    MethodType.methodType(long.class, Object.class, long.class))
                            .bindTo(unsafe);
        } catch (Throwable t) { // reflection into engine internals: report any failure per call
            problem = t;
        }
        DIRECT_BUFFER = direct;
        IS_CONTIGUOUS = isContiguous;
        TO_CONTIGUOUS = toContiguous;
        ADDRESS_OFFSET = offset;
        GET_LONG = getLong;
        PROBLEM = problem;
    }

    private DevicePointers() {}

    /** A one-argument native of the engine's library, as a handle bound to its instance. */
    private static MethodHandle bound(
            MethodHandles.Lookup lookup, Class<?> library, String name, Object instance)
            throws ReflectiveOperationException {
        Method m = library.getDeclaredMethod(name, long.class);
        m.setAccessible(true);
        return lookup.unreflect(m).bindTo(instance);
    }

    private static void requireAccess() {
        if (PROBLEM != null) {
            throw new UnsupportedOperationException(
                    "cannot reach the PyTorch engine's tensor memory (DJL "
                            + "PyTorchLibrary internals or sun.misc.Unsafe unavailable): "
                            + PROBLEM,
                    PROBLEM);
        }
    }

    private static long handle(NDArray x) {
        if (!(x instanceof PtNDArray)) {
            throw new IllegalArgumentException(
                    "the CUDA selective scan needs PyTorch-engine arrays, got "
                            + x.getClass().getName());
        }
        return ((PtNDArray) x).getHandle();
    }

    /** Rethrows what an engine native threw: unchecked as is, anything else wrapped. */
    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException) {
            return (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        return new IllegalStateException(t);
    }

    /**
     * Whether the tensor is dense in row-major order (what the kernels index).
     *
     * @param x a PyTorch-engine array
     * @return true if contiguous
     */
    static boolean isContiguous(NDArray x) {
        long h = handle(x);
        requireAccess();
        try {
            return (boolean) IS_CONTIGUOUS.invokeExact(h);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The array itself if contiguous, else a dense copy on the same device owned by {@code
     * manager}.
     *
     * @param x a PyTorch-engine array
     * @param manager owner of a copy (a PyTorch-engine manager)
     * @return a contiguous array with the same values
     */
    static NDArray contiguous(NDArray x, ai.djl.ndarray.NDManager manager) {
        if (isContiguous(x)) {
            return x;
        }
        long src = handle(x);
        long h;
        try {
            h = (long) TO_CONTIGUOUS.invokeExact(src);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return new PtNDArray((PtNDManager) manager, h);
    }

    /**
     * The address of the first element ({@code data_ptr()}); for a GPU tensor, its device pointer.
     * No data is copied.
     *
     * @param x a contiguous PyTorch-engine array
     * @return the address
     */
    static long address(NDArray x) {
        long bytes = x.size() * x.getDataType().getNumOfBytes();
        if (bytes > 0 && bytes < Integer.MAX_VALUE) {
            return bufferAddress(directBuffer(handle(x)));
        }
        // over 2 GiB: the data pointer of a one-element view is the tensor's data pointer
        try (NDArray flat = x.reshape(-1);
                NDArray first = flat.get(new NDIndex("0:1"))) {
            return bufferAddress(directBuffer(handle(first)));
        }
    }

    private static ByteBuffer directBuffer(long handle) {
        requireAccess();
        try {
            return (ByteBuffer) DIRECT_BUFFER.invokeExact(handle);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static long bufferAddress(ByteBuffer b) {
        if (!b.isDirect()) {
            throw new IllegalStateException("engine returned a heap buffer for a tensor");
        }
        try {
            return (long) GET_LONG.invokeExact((Object) b, ADDRESS_OFFSET);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
