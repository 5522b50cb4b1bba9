package dev.vmamba.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vmamba.core.scan.ScanInputs;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The training residuals of the CUDA scan without a GPU: which arguments they accept (the very
 * arrays of the forward call, not equal copies) and what closing them releases.
 */
class ChunkStatesTest {

    private static ScanInputs inputs(NDManager m, boolean softplus) {
        NDArray u = m.randomNormal(new Shape(1, 4, 8));
        NDArray delta = m.randomNormal(new Shape(1, 4, 8));
        NDArray a = m.randomUniform(0.1f, 2f, new Shape(4, 2)).neg();
        NDArray b = m.randomNormal(new Shape(1, 2, 2, 8));
        NDArray c = m.randomNormal(new Shape(1, 2, 2, 8));
        return new ScanInputs(u, delta, a, b, c, null, null, softplus);
    }

    /** The same arguments with u, B and the softplus flag as given. */
    private static ScanInputs with(ScanInputs in, NDArray u, NDArray b, boolean softplus) {
        return new ScanInputs(u, in.delta(), in.a(), b, in.c(), in.d(), in.deltaBias(), softplus);
    }

    @Test
    void statesAreAcceptedOnlyForTheArraysTheyWereSavedFor() {
        try (NDManager m = NDManager.newBaseManager()) {
            ScanInputs in = inputs(m, true);
            NDArray states = m.zeros(new Shape(1, 4, 1, 2));
            LaunchConfig bwd = new LaunchConfig(32, 1, 2, 8, 0);
            ChunkStates saved = new ChunkStates(states, bwd, in);

            assertTrue(saved.savedFor(in));
            // a new record over the same arrays
            assertTrue(saved.savedFor(with(in, in.u(), in.b(), true)));
            // equal values in other arrays, another B, another softplus flag
            assertFalse(saved.savedFor(with(in, in.u().duplicate(), in.b(), true)));
            assertFalse(saved.savedFor(with(in, in.u(), in.b().duplicate(), true)));
            assertFalse(saved.savedFor(with(in, in.u(), in.b(), false)));
            // states whose arguments are unknown (made by the facade's caller) are not checked
            assertTrue(new ChunkStates(states, bwd, null).savedFor(inputs(m, true)));

            assertEquals(List.of(states), saved.arrays());
            saved.close();
            assertTrue(states.isReleased());
        }
    }
}
