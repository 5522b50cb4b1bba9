package dev.vmamba.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.vmamba.core.io.Safetensors;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code vmamba run} end to end: the built-in default and an explicit config/weights/input. */
class RunCommandTest {

    @TempDir Path dir;

    private static int execute(StringWriter err, String... args) {
        CommandLine cli = new CommandLine(new VMambaCli());
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void defaultRunMatchesTheOfficialLogits() {
        assertEquals(0, execute(new StringWriter(), "run"));
    }

    @Test
    void explicitFilesProduceOfficialLogitsAndFeatures() throws Exception {
        Path config = copy("v0_micro.yaml");
        Path weights = copy("v0_micro.safetensors");
        Path io = copy("v0_micro_io.safetensors");
        Path out = dir.resolve("out.safetensors");
        int code =
                execute(
                        new StringWriter(),
                        "run",
                        "--config",
                        config.toString(),
                        "--weights",
                        weights.toString(),
                        "--input",
                        io.toString(),
                        "--output",
                        out.toString(),
                        "--features",
                        "--backend",
                        "cpu");
        assertEquals(0, code);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> got = Safetensors.read(out, m);
            Map<String, NDArray> ref = Safetensors.read(io, m);
            for (String name : new String[] {"x_2x3x64x64", "x_1x3x64x96", "x_1x3x72x40"}) {
                NDArray logits = got.get("logits__" + name);
                NDArray expected = ref.get("logits__" + name);
                float err = logits.sub(expected).abs().max().getFloat();
                assertTrue(err <= 1e-6 + 2e-4 * expected.abs().max().getFloat(), name + ": " + err);
                for (int i = 0; i < 4; i++) {
                    assertEquals(
                            ref.get("feat" + i + "__" + name).getShape(),
                            got.get("feat" + i + "__" + name).getShape());
                }
            }
        }
    }

    @Test
    void mismatchedWeightsFailWithTheKeyReport() throws Exception {
        Path config = copy("v0_micro.yaml");
        Path io = copy("v0_micro_io.safetensors");
        Path weights = dir.resolve("partial.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> sd =
                    new LinkedHashMap<>(Safetensors.read(copy("v0_micro.safetensors"), m));
            sd.remove("classifier.norm.bias");
            Safetensors.write(weights, sd, Map.of());
        }
        StringWriter err = new StringWriter();
        int code =
                execute(
                        err,
                        "run",
                        "--config",
                        config.toString(),
                        "--weights",
                        weights.toString(),
                        "--input",
                        io.toString());
        assertNotEquals(0, code);
        assertTrue(err.toString().contains("classifier.norm.bias"), err.toString());
    }

    private Path copy(String bundled) throws Exception {
        Path p = dir.resolve(bundled);
        try (InputStream in =
                getClass().getResourceAsStream("/dev/vmamba/models/bundled/" + bundled)) {
            Files.copy(in, p);
        }
        return p;
    }
}
