package dev.vmamba.core.io;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Where one tensor lives in a safetensors file.
 *
 * @param name the tensor's key
 * @param dataType its element type
 * @param shape its shape
 * @param begin first byte, relative to the data section
 * @param end one past the last byte, relative to the data section
 */
public record TensorInfo(String name, DataType dataType, Shape shape, long begin, long end) {

    /**
     * @return the number of bytes
     */
    public long byteSize() {
        return end - begin;
    }
}
