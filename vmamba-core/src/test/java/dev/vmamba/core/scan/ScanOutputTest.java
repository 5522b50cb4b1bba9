package dev.vmamba.core.scan;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Closing a scan output releases what it holds, with or without a last state and residuals. */
class ScanOutputTest {

    @Test
    void closeReleasesEveryArrayHeld() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray y = m.randomNormal(new Shape(1, 2, 3));
            NDArray last = m.randomNormal(new Shape(1, 2, 4));
            NDArray saved = m.randomNormal(new Shape(1, 2, 1, 4));
            ScanResiduals residuals = () -> List.of(saved);
            new ScanOutput(y, last, residuals).close();
            assertTrue(y.isReleased());
            assertTrue(last.isReleased());
            assertTrue(saved.isReleased());

            NDArray alone = m.randomNormal(new Shape(1, 2, 3));
            NDArray other = m.randomNormal(new Shape(1, 2, 3));
            new ScanOutput(alone, null).close();
            assertTrue(alone.isReleased());
            assertFalse(other.isReleased());
        }
    }
}
