package dev.vmamba.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vmamba.core.io.Safetensors;
import dev.vmamba.core.scan.ScanInputs;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Access to the golden fixtures produced by the official VMamba code (copied under {@code
 * src/test/resources/fixtures}) and the manifest's tolerance rule: a tensor passes iff {@code
 * max|actual - expected| <= atol + rtol * max|expected|}.
 */
public final class Fixtures {

    private static volatile JsonObject manifest;
    private static final Map<String, Path> FILES = new ConcurrentHashMap<>();

    private Fixtures() {}

    /**
     * @return the parsed {@code fixtures/manifest.json}
     */
    public static JsonObject manifest() {
        if (manifest == null) {
            try (InputStream in = stream("fixtures/manifest.json")) {
                manifest =
                        JsonParser.parseString(
                                        new String(in.readAllBytes(), StandardCharsets.UTF_8))
                                .getAsJsonObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return manifest;
    }

    /**
     * @param kind e.g. {@code selective_scan}, {@code cross_scan}, {@code model}
     * @return the ids of the manifest's cases of that kind
     */
    public static List<String> caseIds(String kind) {
        List<String> ids = new ArrayList<>();
        for (JsonElement e : manifest().getAsJsonArray("cases")) {
            JsonObject c = e.getAsJsonObject();
            if (c.get("kind").getAsString().equals(kind)) {
                ids.add(c.get("id").getAsString());
            }
        }
        return ids;
    }

    /**
     * @param id a case id
     * @return the manifest entry
     */
    public static JsonObject caseById(String id) {
        for (JsonElement e : manifest().getAsJsonArray("cases")) {
            JsonObject c = e.getAsJsonObject();
            if (c.get("id").getAsString().equals(id)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no fixture case " + id);
    }

    /**
     * A fixture as a file on disk (extracted from a jar when the resources are packaged).
     *
     * @param resource path under the class path or relative to {@code fixtures/} (as the manifest
     *     names files)
     * @return a readable file
     */
    public static Path file(String resource) {
        String r = resource.startsWith("fixtures/") ? resource : "fixtures/" + resource;
        return FILES.computeIfAbsent(r, Fixtures::materialise);
    }

    private static Path materialise(String resource) {
        URL url = Fixtures.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalArgumentException("missing test resource " + resource);
        }
        try {
            if ("file".equals(url.getProtocol())) {
                return Path.of(url.toURI());
            }
            String name = resource.substring(resource.lastIndexOf('/') + 1);
            Path tmp = Files.createTempFile("fixture-", "-" + name);
            tmp.toFile().deleteOnExit();
            try (InputStream in = url.openStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            return tmp;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InputStream stream(String resource) throws IOException {
        InputStream in = Fixtures.class.getClassLoader().getResourceAsStream(resource);
        if (in == null) {
            throw new IOException("missing test resource " + resource);
        }
        return in;
    }

    /**
     * Loads a fixture's safetensors file.
     *
     * @param resource class-path location
     * @param manager owner of the arrays
     * @return tensors by name
     */
    public static Map<String, NDArray> load(String resource, NDManager manager) {
        try {
            return Safetensors.read(file(resource), manager);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ai.djl.MalformedModelException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The manifest tolerance of one tensor of a case.
     *
     * @param caseEntry the case
     * @param tensor the tensor name
     * @return {@code {atol, rtol}}
     */
    public static double[] tolerance(JsonObject caseEntry, String tensor) {
        JsonObject t = caseEntry.getAsJsonObject("tolerances").getAsJsonObject(tensor);
        if (t == null) {
            throw new IllegalArgumentException(
                    "no tolerance for " + tensor + " in " + caseEntry.get("id"));
        }
        return new double[] {t.get("atol").getAsDouble(), t.get("rtol").getAsDouble()};
    }

    /**
     * Asserts the manifest rule {@code max|a - e| <= atol + rtol·max|e|}.
     *
     * @param what label for the message
     * @param actual computed values (any float dtype, any device)
     * @param expected golden values
     * @param atol absolute tolerance
     * @param rtol tolerance relative to the largest expected magnitude
     * @return the observed error relative to {@code max|e|}
     */
    public static double assertClose(
            String what, NDArray actual, NDArray expected, double atol, double rtol) {
        assertEquals(expected.getShape(), actual.getShape(), what + ": shape");
        double[] a =
                actual.toType(DataType.FLOAT64, false)
                        .toDevice(ai.djl.Device.cpu(), false)
                        .toDoubleArray();
        double[] e =
                expected.toType(DataType.FLOAT64, false)
                        .toDevice(ai.djl.Device.cpu(), false)
                        .toDoubleArray();
        double maxErr = 0;
        double maxRef = 0;
        int worst = -1;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - e[i]);
            if (!(d <= maxErr)) {
                maxErr = d;
                worst = i;
            }
            maxRef = Math.max(maxRef, Math.abs(e[i]));
        }
        double bound = atol + rtol * maxRef;
        String msg =
                String.format(
                        "%s: max|err| = %.3g (at flat index %d: %s vs %s) > %.3g = %.1g + %.1g·%.3g",
                        what,
                        maxErr,
                        worst,
                        worst < 0 ? "-" : a[worst],
                        worst < 0 ? "-" : e[worst],
                        bound,
                        atol,
                        rtol,
                        maxRef);
        assertTrue(maxErr <= bound, msg);
        return maxRef == 0 ? maxErr : maxErr / maxRef;
    }

    /**
     * {@link #assertClose} with the tolerance the manifest gives a case's tensor.
     *
     * @param caseEntry the case
     * @param tensor the tensor's name in the manifest
     * @param actual computed values
     * @param expected golden values
     * @return the observed relative error
     */
    public static double assertWithinManifest(
            JsonObject caseEntry, String tensor, NDArray actual, NDArray expected) {
        double[] tol = tolerance(caseEntry, tensor);
        return assertClose(
                caseEntry.get("id").getAsString() + "/" + tensor, actual, expected, tol[0], tol[1]);
    }

    /**
     * The scan arguments of a {@code selective_scan} case, honouring its {@code has_D}, {@code
     * has_delta_bias} and {@code delta_softplus} flags.
     *
     * @param caseEntry the case
     * @param t the case's tensors
     * @return the scan inputs
     */
    public static ScanInputs scanInputs(JsonObject caseEntry, Map<String, NDArray> t) {
        JsonObject p = caseEntry.getAsJsonObject("params");
        return new ScanInputs(
                t.get("u"),
                t.get("delta"),
                t.get("A"),
                t.get("B"),
                t.get("C"),
                p.get("has_D").getAsBoolean() ? t.get("D") : null,
                p.get("has_delta_bias").getAsBoolean() ? t.get("delta_bias") : null,
                p.get("delta_softplus").getAsBoolean());
    }

    /**
     * Whether float32 convolutions and matrix products on an NVIDIA GPU run in IEEE float32.
     * PyTorch (and so DJL's libtorch) lets cuDNN use TF32 tensor cores for float32 convolutions by
     * default on Ampere and newer GPUs, which moves results by about 1e-4..1e-3 relative; the
     * environment variable {@code NVIDIA_TF32_OVERRIDE=0} turns TF32 off for the whole process.
     *
     * @return true when {@code NVIDIA_TF32_OVERRIDE=0} is set
     */
    public static boolean gpuFloat32IsIeee() {
        return "0".equals(System.getenv("NVIDIA_TF32_OVERRIDE"));
    }

    /**
     * Relative tolerance for GPU model outputs when TF32 may be in use (see {@link
     * #gpuFloat32IsIeee}).
     */
    public static final double TF32_RTOL = 2e-3;

    /**
     * Asserts a GPU model output against a CPU golden tensor: the manifest tolerance when the GPU
     * computes in IEEE float32, {@link #TF32_RTOL} otherwise.
     *
     * @param caseEntry the case
     * @param tensor the tensor's name in the manifest
     * @param actual computed values
     * @param expected golden values
     * @return the observed relative error
     */
    public static double assertGpuWithinManifest(
            JsonObject caseEntry, String tensor, NDArray actual, NDArray expected) {
        if (gpuFloat32IsIeee()) {
            return assertWithinManifest(caseEntry, tensor, actual, expected);
        }
        return assertClose(
                caseEntry.get("id").getAsString() + "/" + tensor + " (TF32 allowed)",
                actual,
                expected,
                tolerance(caseEntry, tensor)[0],
                TF32_RTOL);
    }
}
