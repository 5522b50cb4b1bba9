package dev.vmamba.models.checkpoint;

import ai.djl.ndarray.types.DataType;

/**
 * The typed storage classes a {@code torch.save} archive names for its tensors ({@code
 * torch.FloatStorage}, ...), with the element type and size of the raw bytes stored under {@code
 * data/<key>}.
 */
public enum TorchStorageType {
    /** {@code torch.float32}. */
    FLOAT("FloatStorage", DataType.FLOAT32, 4),
    /** {@code torch.float16}. */
    HALF("HalfStorage", DataType.FLOAT16, 2),
    /** {@code torch.bfloat16}. */
    BFLOAT16("BFloat16Storage", DataType.BFLOAT16, 2),
    /** {@code torch.float64}. */
    DOUBLE("DoubleStorage", DataType.FLOAT64, 8),
    /** {@code torch.int64}. */
    LONG("LongStorage", DataType.INT64, 8),
    /** {@code torch.int32}. */
    INT("IntStorage", DataType.INT32, 4),
    /** {@code torch.int16}. */
    SHORT("ShortStorage", DataType.INT16, 2),
    /** {@code torch.int8}. */
    CHAR("CharStorage", DataType.INT8, 1),
    /** {@code torch.uint8}. */
    BYTE("ByteStorage", DataType.UINT8, 1),
    /** {@code torch.bool}. */
    BOOL("BoolStorage", DataType.BOOLEAN, 1),
    /** {@code torch.UntypedStorage} (raw bytes). */
    UNTYPED("UntypedStorage", DataType.UINT8, 1);

    private final String className;
    private final DataType dataType;
    private final int elementSize;

    TorchStorageType(String className, DataType dataType, int elementSize) {
        this.className = className;
        this.dataType = dataType;
        this.elementSize = elementSize;
    }

    /**
     * @return the class name inside the {@code torch} module, e.g. {@code FloatStorage}
     */
    public String className() {
        return className;
    }

    /**
     * @return the DJL element type
     */
    public DataType dataType() {
        return dataType;
    }

    /**
     * @return bytes per element
     */
    public int elementSize() {
        return elementSize;
    }
}
