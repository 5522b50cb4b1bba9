package dev.vmamba.models.checkpoint;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * A tensor found in a {@code torch.save} archive, described but not yet read: which storage it
 * views, where it starts, its shape and strides (in elements). {@link PyTorchCheckpoint#toNDArray}
 * reads its data. Every field was checked against the archive when the reference was created, so
 * reading it cannot run past its storage.
 */
public final class TensorRef {

    private final String storageKey;
    private final TorchStorageType type;
    private final long storageOffset;
    private final long[] shape;
    private final long[] stride;

    TensorRef(
            String storageKey,
            TorchStorageType type,
            long storageOffset,
            long[] shape,
            long[] stride) {
        this.storageKey = storageKey;
        this.type = type;
        this.storageOffset = storageOffset;
        this.shape = shape.clone();
        this.stride = stride.clone();
    }

    /**
     * @return the storage's key (its entry is {@code data/<key>})
     */
    public String storageKey() {
        return storageKey;
    }

    /**
     * @return the element type of the storage
     */
    public TorchStorageType storageType() {
        return type;
    }

    /**
     * @return the DJL element type
     */
    public DataType dataType() {
        return type.dataType();
    }

    /**
     * @return the first element's index in the storage
     */
    public long storageOffset() {
        return storageOffset;
    }

    /**
     * @return the tensor's shape
     */
    public Shape shape() {
        return new Shape(shape);
    }

    /**
     * @return the strides in elements, one per dimension
     */
    public long[] stride() {
        return stride.clone();
    }

    /**
     * @return the number of elements
     */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /**
     * @return whether the elements are stored row-major without gaps
     */
    public boolean isContiguous() {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    long[] rawShape() {
        return shape;
    }

    long[] rawStride() {
        return stride;
    }

    @Override
    public String toString() {
        return "tensor("
                + type.dataType()
                + " "
                + Arrays.toString(shape)
                + ", storage "
                + storageKey
                + "@"
                + storageOffset
                + ")";
    }
}
