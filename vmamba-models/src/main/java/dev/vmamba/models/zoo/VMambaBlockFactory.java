package dev.vmamba.models.zoo;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.translate.ArgumentsUtil;
import dev.vmamba.core.VMamba;
import dev.vmamba.core.config.VMambaConfig;
import dev.vmamba.core.scan.ScanBackend;
import dev.vmamba.models.checkpoint.CheckpointWeights;
import dev.vmamba.models.checkpoint.Checkpoints;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds a VMamba from a model directory and loads its official weights, for DJL's model loading
 * and djl-serving ({@code blockFactory=dev.vmamba.models.zoo.VMambaBlockFactory} in {@code
 * serving.properties}, together with {@code option.hasParameter=false}: the weights come from the
 * official file, not from a DJL {@code .params} file). See {@link ModelDirectory} for how the
 * config and weights are found; the argument {@code scanBackend} ({@code auto}, {@code java},
 * {@code ndarray}, {@code cuda}) picks the selective-scan backend.
 *
 * <p>Weights that do not match the config fail here with an {@link IOException} (the signature DJL
 * gives block factories) whose cause is the {@link MalformedModelException} listing every missing,
 * unexpected and mis-shaped key.
 */
public final class VMambaBlockFactory implements BlockFactory {

    private static final long serialVersionUID = 1L;

    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments)
            throws IOException {
        ModelDirectory.Contents c = ModelDirectory.resolve(modelPath, arguments);
        try {
            return load(
                    c.config(),
                    c.weights(),
                    ArgumentsUtil.booleanValue(arguments, "ema")
                            ? CheckpointWeights.MODEL_EMA
                            : CheckpointWeights.MODEL,
                    ScanBackend.parse(ArgumentsUtil.stringValue(arguments, "scanBackend", "auto")),
                    model);
        } catch (MalformedModelException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * Builds a classifier and loads weights into a DJL model's manager.
     *
     * @param config the architecture
     * @param weights the weights file
     * @param which which weights of a training checkpoint
     * @param backend the selective-scan backend
     * @param model the owner of the parameters
     * @return the loaded block (not yet set on the model)
     * @throws IOException if the file cannot be read
     * @throws MalformedModelException if the weights are malformed or do not match the config
     */
    static VMamba load(
            VMambaConfig config,
            Path weights,
            CheckpointWeights which,
            ScanBackend backend,
            Model model)
            throws IOException, MalformedModelException {
        VMamba block = VMamba.builder(config).scanBackend(backend).build();
        Checkpoints.load(block, weights, model.getNDManager(), which);
        return block;
    }
}
