package dev.vmamba.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.vmamba.core.scan.NDArraySelectiveScan;
import dev.vmamba.core.scan.ScanBackend;
import dev.vmamba.core.scan.ScanInputs;
import dev.vmamba.core.scan.ScanOutput;
import dev.vmamba.core.testing.Fixtures;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The micro models and the reference scan on a CUDA device with the device-independent NDARRAY
 * backend (the CUDA kernels are tested in vmamba-kernels). Skipped without a GPU. Model outputs
 * meet the manifest tolerance when the process runs with {@code NVIDIA_TF32_OVERRIDE=0}; with
 * libtorch's default TF32 convolutions they are checked against {@link Fixtures#TF32_RTOL}.
 */
@Tag("gpu")
class VMambaGpuTest {

    @BeforeAll
    static void requireGpu() {
        assumeTrue(Engine.getInstance().getGpuCount() > 0, "no CUDA device");
    }

    @ParameterizedTest
    @ValueSource(strings = {"v0_micro", "v2_micro", "v2v_micro"})
    void microModelsMatchOfficialOnGpu(String id) throws Exception {
        JsonObject c = Fixtures.caseById(id);
        try (NDManager gpu = NDManager.newBaseManager(Device.gpu())) {
            VMamba model = VMambaParityTest.loadMicro(id, gpu);
            model.setScanBackend(ScanBackend.NDARRAY);
            Map<String, NDArray> io = Fixtures.load("models/" + id + "_io.safetensors", gpu);
            for (JsonElement in : c.getAsJsonArray("inputs")) {
                String name = in.getAsString();
                NDArray x = io.get(name);
                assertEquals(Device.gpu(), x.getDevice());
                NDArray logits = model.forward(x);
                assertEquals(Device.gpu(), logits.getDevice());
                Fixtures.assertGpuWithinManifest(
                        c, "logits__" + name, logits, io.get("logits__" + name));
                List<NDArray> feats = model.forwardIntermediates(x);
                for (int i = 0; i < 4; i++) {
                    String key = "feat" + i + "__" + name;
                    Fixtures.assertGpuWithinManifest(c, key, feats.get(i), io.get(key));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"scan_b2_g4_d3_n16_l37", "scan_b1_g4_d2_n1_l2051"})
    void ndarrayScanMatchesOfficialOnGpu(String id) {
        JsonObject c = Fixtures.caseById(id);
        try (NDManager gpu = NDManager.newBaseManager(Device.gpu())) {
            Map<String, NDArray> t = Fixtures.load(c.get("file").getAsString(), gpu);
            ScanInputs in = Fixtures.scanInputs(c, t);
            ScanOutput out = new NDArraySelectiveScan().forward(in, true);
            Fixtures.assertWithinManifest(c, "y", out.y(), t.get("y"));
            Fixtures.assertWithinManifest(c, "last_state", out.lastState(), t.get("last_state"));
        }
    }
}
