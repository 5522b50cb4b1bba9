package dev.vmamba.models;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.vmamba.core.VMamba;
import dev.vmamba.core.config.OfficialConfigReader;
import dev.vmamba.core.config.VMambaConfig;
import dev.vmamba.core.io.Safetensors;
import dev.vmamba.core.weights.StateDictLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small model shipped inside this jar with official reference outputs, so that a fresh install
 * can check itself end to end without any download: the v0 micro model (embed 16, depths 1-1-2-1,
 * 10 classes, official initialisation perturbed) with its official weights, three input images and
 * the official float32 logits for them.
 */
public enum BundledModel {
    /** The v0-family micro model of the golden fixtures. */
    V0_MICRO("v0_micro");

    private static final String ROOT = "/dev/vmamba/models/bundled/";
    private final String id;

    BundledModel(String id) {
        this.id = id;
    }

    /**
     * @return the model's configuration, read from its bundled official-format YAML
     */
    public VMambaConfig config() {
        try (InputStream in = resource(id + ".yaml")) {
            return OfficialConfigReader.parse(
                    new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Builds the model and loads the bundled official weights.
     *
     * @param manager owner of the weights
     * @return the model (classifier only)
     */
    public VMamba load(NDManager manager) {
        VMamba model = VMamba.builder(config()).build();
        try {
            StateDictLoader.load(model, tensors(id + ".safetensors", manager), manager, true);
        } catch (MalformedModelException e) {
            throw new IllegalStateException("bundled weights do not match the bundled config", e);
        }
        return model;
    }

    /**
     * The bundled inputs and the official outputs for them: {@code x_<name>} images (NCHW float32)
     * and {@code logits__x_<name>} official logits, among other reference tensors.
     *
     * @param manager owner of the tensors
     * @return name → tensor, sorted by name
     */
    public Map<String, NDArray> reference(NDManager manager) {
        return new TreeMap<>(tensors(id + "_io.safetensors", manager));
    }

    private static Map<String, NDArray> tensors(String name, NDManager manager) {
        try (InputStream in = resource(name)) {
            Path tmp = Files.createTempFile("vmamba-bundled-", ".safetensors");
            try {
                Files.write(tmp, in.readAllBytes());
                return Safetensors.read(tmp, manager);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (MalformedModelException e) {
            throw new IllegalStateException("bundled file " + name + " is corrupt", e);
        }
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = BundledModel.class.getResourceAsStream(ROOT + name);
        if (in == null) {
            throw new IOException("bundled resource missing from the jar: " + ROOT + name);
        }
        return in;
    }
}
