package dev.vmamba.models.checkpoint;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.vmamba.core.io.Safetensors;
import dev.vmamba.core.nn.StateDictBlock;
import dev.vmamba.core.weights.LoadReport;
import dev.vmamba.core.weights.StateDictLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Reads weight files into state dicts and loads them into models, choosing the reader by file
 * extension.
 */
public final class Checkpoints {

    private Checkpoints() {}

    /**
     * Reads a weight file's state dict.
     *
     * @param file a {@code .safetensors} file (official key names)
     * @param manager owner of the tensors
     * @return official key → tensor
     * @throws IOException if the file cannot be read
     * @throws MalformedModelException if the file is malformed
     */
    public static Map<String, NDArray> readStateDict(Path file, NDManager manager)
            throws IOException, MalformedModelException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("weights file not found: " + file);
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".safetensors")) {
            return Safetensors.read(file, manager);
        }
        if (name.endsWith(".pth") || name.endsWith(".pt") || name.endsWith(".bin")) {
            throw new UnsupportedOperationException(
                    "PyTorch checkpoints ("
                            + file.getFileName()
                            + ") are not readable yet;"
                            + " convert to .safetensors");
        }
        throw new IllegalArgumentException(
                "unknown weights format '" + file.getFileName() + "' (expected .safetensors)");
    }

    /**
     * Reads a weight file and loads it strictly into a model.
     *
     * @param model the model
     * @param file the weights
     * @param manager owner of the parameters
     * @return the (clean) load report
     * @throws IOException if the file cannot be read
     * @throws MalformedModelException if the file is malformed or does not match the model, listing
     *     every missing, unexpected and mis-shaped key
     */
    public static LoadReport load(StateDictBlock model, Path file, NDManager manager)
            throws IOException, MalformedModelException {
        try (NDManager tmp = manager.newSubManager()) {
            Map<String, NDArray> sd = readStateDict(file, tmp);
            return StateDictLoader.load(model, sd, manager, true);
        }
    }
}
