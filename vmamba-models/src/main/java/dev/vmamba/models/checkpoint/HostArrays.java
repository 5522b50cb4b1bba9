package dev.vmamba.models.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Turns little-endian host bytes into engine-owned arrays.
 *
 * <p>Two engine limits are handled here, in one place: DJL's PyTorch engine aborts the whole JVM
 * when asked to create a {@code bfloat16} or {@code int16} array from host memory, so those are
 * widened exactly in Java ({@code bfloat16} → {@code float32} by shifting the bits, {@code int16} →
 * {@code int32}); and an array created from a Java buffer borrows that buffer, whose memory lives
 * only as long as the first array object, so the result is always an engine-owned copy that may be
 * kept, viewed or converted after the reader's buffers are gone.
 */
final class HostArrays {

    private HostArrays() {}

    /**
     * @param type a stored element type
     * @return the element type {@link #create} returns for it
     */
    static DataType loadedType(DataType type) {
        if (type == DataType.BFLOAT16) {
            return DataType.FLOAT32;
        }
        if (type == DataType.INT16) {
            return DataType.INT32;
        }
        return type;
    }

    /**
     * Creates an engine-owned array.
     *
     * @param littleEndian the elements, little-endian, from position 0 to the limit
     * @param shape the shape
     * @param type the stored element type
     * @param manager owner of the result
     * @return the array, with element type {@link #loadedType(DataType)}
     */
    static NDArray create(ByteBuffer littleEndian, Shape shape, DataType type, NDManager manager) {
        ByteBuffer src = littleEndian.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        src.rewind();
        DataType target = loadedType(type);
        ByteBuffer data = src;
        if (target != type) {
            int n = src.remaining() / type.getNumOfBytes();
            data = manager.allocateDirect(n * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                short s = src.getShort(i * 2);
                data.putInt(type == DataType.BFLOAT16 ? (s & 0xFFFF) << 16 : s);
            }
            data.rewind();
        } else if (!src.isDirect()) {
            data = manager.allocateDirect(src.remaining()).order(ByteOrder.LITTLE_ENDIAN);
            data.put(src);
            data.rewind();
        }
        NDArray borrowed = manager.create(data, shape, target);
        NDArray owned = borrowed.duplicate();
        borrowed.close();
        return owned;
    }
}
