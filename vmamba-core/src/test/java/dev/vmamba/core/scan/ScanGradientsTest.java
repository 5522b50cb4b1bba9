package dev.vmamba.core.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gradient record's list of present arrays and its closing. */
class ScanGradientsTest {

    @Test
    void arraysListsThePresentGradientsInComponentOrderAndCloseReleasesThem() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray du = m.randomNormal(new Shape(1, 2, 3));
            NDArray dDelta = m.randomNormal(new Shape(1, 2, 3));
            NDArray dA = m.randomNormal(new Shape(2, 4));
            NDArray dB = m.randomNormal(new Shape(1, 1, 4, 3));
            NDArray dC = m.randomNormal(new Shape(1, 1, 4, 3));
            NDArray dBias = m.randomNormal(new Shape(2));
            ScanGradients g = new ScanGradients(du, dDelta, dA, dB, dC, null, dBias);

            List<NDArray> arrays = g.arrays();
            assertEquals(6, arrays.size(), "dD is absent");
            NDArray[] expected = {du, dDelta, dA, dB, dC, dBias};
            for (int i = 0; i < expected.length; i++) {
                assertSame(expected[i], arrays.get(i));
            }
            assertFalse(du.isReleased());

            g.close();
            for (NDArray x : expected) {
                assertTrue(x.isReleased());
            }
        }
    }
}
