package dev.vmamba.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.util.ProgressBar;
import dev.vmamba.core.VMamba;
import dev.vmamba.core.config.OfficialConfigReader;
import dev.vmamba.core.config.VMambaConfig;
import dev.vmamba.core.weights.LoadReport;
import dev.vmamba.core.weights.StateDictLoader;
import dev.vmamba.models.VMambaPreset;
import dev.vmamba.models.checkpoint.CheckpointWeights;
import dev.vmamba.models.checkpoint.Checkpoints;
import dev.vmamba.models.checkpoint.StateDict;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vmamba convert}: an official {@code .pth} checkpoint to a safetensors file under the
 * current official key names (legacy and single-file spellings mapped), optionally checked against
 * the model it belongs to.
 */
@Command(
        name = "convert",
        mixinStandardHelpOptions = true,
        description = {
            "Converts a PyTorch checkpoint (.pth) to .safetensors with current official keys.",
            "The weights are checked against --config/--preset, or against the preset an official",
            "release file name identifies."
        })
public final class ConvertCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN", description = "the checkpoint (.pth, .pt, .bin)")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT", description = "the .safetensors file to write")
    Path output;

    @Option(names = "--ema", description = "convert the model_ema weights instead of model")
    boolean ema;

    @Option(names = "--config", description = "official .yaml to check the weights against")
    Path config;

    @Option(names = "--preset", description = "preset to check the weights against")
    String preset;

    @Option(names = "--force", description = "overwrite OUT if it exists")
    boolean force;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return UserErrors.run("convert", spec.commandLine().getErr(), this::execute);
    }

    private Integer execute() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (Files.exists(output) && !force) {
            throw new IllegalArgumentException(output + " exists (use --force to overwrite)");
        }
        if (Files.exists(output) && Files.isSameFile(input, output)) {
            throw new IllegalArgumentException("IN and OUT are the same file");
        }
        VMambaConfig check = checkConfig();
        CheckpointWeights which = ema ? CheckpointWeights.MODEL_EMA : CheckpointWeights.MODEL;
        StateDict sd = Checkpoints.convert(input, output, which, new ProgressBar());
        long bytes = Files.size(output);
        out.printf(
                Locale.ROOT,
                "wrote %d tensors (%.1f MB) from %s to %s%nkey mapping: %s%n",
                sd.tensors().size(),
                bytes / 1e6,
                sd.source(),
                output,
                sd.mapping().summary());
        if (check == null) {
            out.println("not checked against a model (give --config or --preset to check)");
            out.flush();
            return 0;
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> written = Checkpoints.readStateDict(output, m);
            LoadReport classifier = StateDictLoader.check(VMamba.builder(check).build(), written);
            LoadReport backbone =
                    StateDictLoader.check(VMamba.builder(check).backbone().build(), written);
            if (classifier.isClean() || backbone.isClean()) {
                out.printf(
                        Locale.ROOT,
                        "checked: every key and shape matches %s (%s)%n",
                        check.name(),
                        classifier.isClean() ? "classifier" : "backbone");
                out.flush();
                return 0;
            }
            spec.commandLine()
                    .getErr()
                    .println(
                            "the weights do not match "
                                    + check.name()
                                    + ":\n"
                                    + classifier.describeProblems());
            return 1;
        }
    }

    private VMambaConfig checkConfig() throws Exception {
        if (config != null && preset != null) {
            throw new IllegalArgumentException("give --config or --preset, not both");
        }
        if (config != null) {
            return OfficialConfigReader.read(config);
        }
        if (preset != null) {
            return VMambaPreset.of(preset).config();
        }
        return VMambaPreset.forCheckpointFile(input.getFileName().toString())
                .map(VMambaPreset::config)
                .orElse(null);
    }
}
