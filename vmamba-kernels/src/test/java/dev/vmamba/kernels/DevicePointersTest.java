package dev.vmamba.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * The engine interop behind the kernels' zero-copy pointers, on CPU tensors (the same natives serve
 * GPU tensors): data pointers, contiguity, dense copies.
 */
class DevicePointersTest {

    @Test
    void addressesFollowTheDataPointer() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(3, 5));
            long base = DevicePointers.address(x);
            assertNotEquals(0, base);
            assertEquals(base, DevicePointers.address(x), "stable for one tensor");
            // a row view starts one row (5 floats) further into the same memory
            try (NDArray row = x.get(new NDIndex("1"))) {
                assertEquals(base + 5 * 4, DevicePointers.address(row));
            }
        }
    }

    @Test
    void contiguityAndDenseCopies() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(4, 6));
            assertTrue(DevicePointers.isContiguous(x));
            assertSame(x, DevicePointers.contiguous(x, m));
            NDArray t = x.transpose();
            assertFalse(DevicePointers.isContiguous(t));
            NDArray d = DevicePointers.contiguous(t, m);
            assertTrue(DevicePointers.isContiguous(d));
            assertEquals(new Shape(6, 4), d.getShape());
            assertArrayEquals(x.transpose().toFloatArray(), d.toFloatArray());
        }
    }
}
