package dev.vmamba.models.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import dev.vmamba.core.VMamba;
import dev.vmamba.core.config.OfficialConfigReader;
import dev.vmamba.core.io.Safetensors;
import dev.vmamba.core.testing.Fixtures;
import dev.vmamba.core.weights.StateDictLoader;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Weights read into a temporary manager and loaded into a model stay valid after that manager is
 * closed (arrays created from Java buffers borrow their memory; the loaders must hand the model
 * engine-owned copies). Regression test: this once produced NaN logits.
 */
class WeightOwnershipTest {

    private static VMamba build() throws Exception {
        return VMamba.builder(
                        OfficialConfigReader.read(Fixtures.file("micro-configs/v2v_micro.yaml")))
                .build();
    }

    private static void assertOfficial(VMamba model, NDManager m) {
        JsonObject c = Fixtures.caseById("v2v_micro");
        Map<String, NDArray> io = Fixtures.load("models/v2v_micro_io.safetensors", m);
        Fixtures.assertWithinManifest(
                c,
                "logits__x_2x3x64x64",
                model.forward(io.get("x_2x3x64x64")),
                io.get("logits__x_2x3x64x64"));
    }

    private static void loadThroughClosedManager(VMamba model, NDManager m, Path file)
            throws Exception {
        try (NDManager tmp = m.newSubManager()) {
            StateDictLoader.load(model, Safetensors.read(file, tmp), m, true);
        }
    }

    @Test
    void stateDictLoaderCopiesWhatItLoads() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            VMamba model = build();
            loadThroughClosedManager(model, m, Fixtures.file("models/v2v_micro.safetensors"));
            System.gc();
            assertOfficial(model, m);
        }
    }

    @Test
    void checkpointsLoadFromPthAndSafetensors() throws Exception {
        for (String f : new String[] {"models/v2v_micro.pth", "models/v2v_micro.safetensors"}) {
            try (NDManager m = NDManager.newBaseManager()) {
                VMamba model = build();
                Checkpoints.load(model, Fixtures.file(f), m);
                System.gc();
                assertOfficial(model, m);
            }
        }
    }
}
