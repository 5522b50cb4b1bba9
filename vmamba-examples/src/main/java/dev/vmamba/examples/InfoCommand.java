package dev.vmamba.examples;

import dev.vmamba.core.config.OfficialConfigReader;
import dev.vmamba.core.config.VMambaConfig;
import dev.vmamba.models.PretrainedWeights;
import dev.vmamba.models.VMambaPreset;
import dev.vmamba.models.analysis.FlopCounter;
import dev.vmamba.models.analysis.ModelSummary;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vmamba info}: parameters, state-dict keys, stage shapes and FLOPs of a preset or an
 * official config file; without an argument, the table of released models.
 */
@Command(
        name = "info",
        mixinStandardHelpOptions = true,
        description = {
            "Describes a model: parameters, stage shapes and FLOPs (official counting rules).",
            "Without MODEL: lists the released models."
        })
public final class InfoCommand implements Callable<Integer> {

    @Parameters(
            arity = "0..1",
            paramLabel = "MODEL",
            description = "a preset (e.g. vmamba-t, vmambav2v_tiny_224) or an official .yaml")
    String model;

    @Option(
            names = "--size",
            defaultValue = "224",
            description = "input size, N or HxW (default: ${DEFAULT-VALUE})")
    String size;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return UserErrors.run("info", spec.commandLine().getErr(), this::execute);
    }

    private Integer execute() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (model == null) {
            list(out);
            return 0;
        }
        long[] hw = parseSize(size);
        VMambaPreset preset = null;
        VMambaConfig config;
        Path file = Path.of(model);
        if (Files.isRegularFile(file)) {
            config = OfficialConfigReader.read(file);
        } else if (model.endsWith(".yaml") || model.endsWith(".yml")) {
            throw new IllegalArgumentException("config file not found: " + file);
        } else {
            preset = VMambaPreset.of(model);
            config = preset.config();
        }
        ModelSummary s = ModelSummary.of(config, hw[0], hw[1]);
        out.print(s.format());
        if (preset != null && preset.weights() != null) {
            PretrainedWeights w = preset.weights();
            out.printf(
                    Locale.ROOT,
                    "release      %s (%s), ImageNet-1k top-1 %.1f%%%n",
                    w.fileName(),
                    w.url(),
                    w.top1());
            boolean paramsMatch = s.parameters() == w.parameterCount();
            long gflops224 = FlopCounter.count(config, 224, 224).total();
            boolean flopsMatch = gflops224 == Math.round(w.gflops() * 1e9);
            out.printf(
                    Locale.ROOT,
                    "published    %,d parameters (%s), %s GFLOPs at 224x224 (%s)%n",
                    w.parameterCount(),
                    paramsMatch ? "matches" : "DIFFERS",
                    w.gflops(),
                    flopsMatch ? "matches" : "DIFFERS");
        }
        out.flush();
        return 0;
    }

    static long[] parseSize(String s) {
        String[] t = s.toLowerCase(Locale.ROOT).split("x");
        try {
            long h = Long.parseLong(t[0].trim());
            long w = t.length > 1 ? Long.parseLong(t[1].trim()) : h;
            if (t.length > 2 || h < 1 || w < 1) {
                throw new NumberFormatException();
            }
            return new long[] {h, w};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--size must be N or HxW, got '" + s + "'", e);
        }
    }

    private static void list(PrintWriter out) {
        out.printf(
                Locale.ROOT,
                "%-16s %-6s %12s %8s %6s  %s%n",
                "preset",
                "family",
                "parameters",
                "GFLOPs",
                "top-1",
                "official checkpoint");
        for (VMambaPreset p : VMambaPreset.values()) {
            PretrainedWeights w = p.weights();
            out.printf(
                    Locale.ROOT,
                    "%-16s %-6s %,12d %8.2f %6s  %s%n",
                    p.id(),
                    p.family().name().toLowerCase(Locale.ROOT),
                    w != null
                            ? w.parameterCount()
                            : dev.vmamba.core.VMamba.builder(p.config()).build().parameterCount(),
                    FlopCounter.count(p.config(), 224, 224).gflops(),
                    w != null ? String.format(Locale.ROOT, "%.1f", w.top1()) : "-",
                    w != null ? w.fileName() : "(test architecture, no weights)");
        }
        out.flush();
    }
}
