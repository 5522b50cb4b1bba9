package dev.vmamba.examples;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.vmamba.core.VMamba;
import dev.vmamba.core.config.OfficialConfigReader;
import dev.vmamba.core.config.VMambaConfig;
import dev.vmamba.core.io.Safetensors;
import dev.vmamba.core.scan.ScanBackend;
import dev.vmamba.core.weights.StateDictLoader;
import dev.vmamba.models.BundledModel;
import dev.vmamba.models.checkpoint.CheckpointWeights;
import dev.vmamba.models.checkpoint.Checkpoints;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vmamba run}: runs a model on every image tensor of a safetensors file and writes (or
 * prints) the logits and optionally the four stage features. Without arguments it runs the bundled
 * micro v0 model on its bundled inputs and compares with the official outputs.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a VMamba model on NCHW float32 tensors and writes logits (and features).",
            "Without --config/--weights: the bundled micro v0 model and its official outputs."
        })
public final class RunCommand implements Callable<Integer> {

    /** Relative tolerance used to report agreement with reference logits found in the input. */
    static final double RTOL = 2e-4;

    @Option(names = "--config", description = "official .yaml config of the model")
    Path config;

    @Option(
            names = "--weights",
            description =
                    "official weights: .pth checkpoint or .safetensors (any official key era)")
    Path weights;

    @Option(names = "--ema", description = "use a .pth checkpoint's model_ema weights")
    boolean ema;

    @Option(
            names = "--input",
            description =
                    "safetensors file; every 4-D float32 tensor with the model's channels is an"
                            + " image batch")
    Path input;

    @Option(
            names = "--output",
            description = "safetensors file to write logits__<name> (and features)")
    Path output;

    @Option(
            names = "--features",
            description = "also write feat0..3__<name> (Backbone outputs, NCHW)")
    boolean features;

    @Option(
            names = "--backend",
            defaultValue = "auto",
            description =
                    "selective scan: auto, cpu (= java), ndarray or cuda (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(
            names = "--device",
            defaultValue = "cpu",
            description = "cpu or gpu (default: ${DEFAULT-VALUE})")
    String device;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        if ((config == null) != (weights == null)) {
            throw new IllegalArgumentException("--config and --weights go together");
        }
        Device dev = parseDevice(device);
        try (NDManager manager = NDManager.newBaseManager(dev)) {
            VMamba model;
            Map<String, NDArray> tensors;
            if (config == null) {
                out.println("no --config/--weights: running the bundled micro v0 model");
                BundledModel bundled = BundledModel.V0_MICRO;
                model = bundled.load(manager);
                tensors = input == null ? bundled.reference(manager) : read(input, manager);
            } else {
                model =
                        load(
                                config,
                                weights,
                                ema ? CheckpointWeights.MODEL_EMA : CheckpointWeights.MODEL,
                                features,
                                manager);
                if (input == null) {
                    throw new IllegalArgumentException("--input is required with --config");
                }
                tensors = read(input, manager);
            }
            model.setScanBackend(ScanBackend.parse(backend));
            return run(model, tensors, manager);
        }
    }

    private static Device parseDevice(String s) {
        switch (s.toLowerCase(Locale.ROOT)) {
            case "cpu":
                return Device.cpu();
            case "gpu":
            case "cuda":
                return Device.gpu();
            default:
                return Device.fromName(s);
        }
    }

    private static Map<String, NDArray> read(Path file, NDManager manager) throws Exception {
        return Safetensors.read(file, manager);
    }

    /**
     * Builds a model from an official config and loads weights; output norms ({@code outnorm*}) are
     * loaded when present and otherwise left at their identity initialisation, as the official
     * {@code Backbone_VSSM} does when it loads a classification checkpoint.
     */
    static VMamba load(Path configFile, Path weightsFile, boolean withFeatures, NDManager manager)
            throws Exception {
        return load(configFile, weightsFile, CheckpointWeights.MODEL, withFeatures, manager);
    }

    /** As above, choosing the weights of a training checkpoint. */
    static VMamba load(
            Path configFile,
            Path weightsFile,
            CheckpointWeights which,
            boolean withFeatures,
            NDManager manager)
            throws Exception {
        VMambaConfig cfg = OfficialConfigReader.read(configFile);
        try (NDManager tmp = manager.newSubManager()) {
            Map<String, NDArray> sd = Checkpoints.readStateDict(weightsFile, tmp, which);
            boolean hasClassifier = sd.containsKey("classifier.head.weight");
            boolean hasOutNorms = sd.containsKey("outnorm0.weight");
            VMamba.Builder b = VMamba.builder(cfg).classifier(hasClassifier);
            if (hasOutNorms || withFeatures || !hasClassifier) {
                b.outNorms(0, 1, 2, 3);
            }
            VMamba model = b.build();
            if (!hasOutNorms && (withFeatures || !hasClassifier)) {
                model.initialize(manager, DataType.FLOAT32);
                Map<String, NDArray> withIdentity = new LinkedHashMap<>(sd);
                model.stateDict()
                        .forEach(
                                (k, p) -> {
                                    if (k.startsWith("outnorm")) {
                                        withIdentity.put(k, p.getArray());
                                    }
                                });
                sd = withIdentity;
            }
            StateDictLoader.load(model, sd, manager, true);
            return model;
        }
    }

    private int run(VMamba model, Map<String, NDArray> tensors, NDManager manager)
            throws Exception {
        Map<String, NDArray> results = new LinkedHashMap<>();
        int images = 0;
        boolean allAgree = true;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray x = e.getValue();
            String name = e.getKey();
            if (!isImageBatch(x, model)) {
                continue;
            }
            images++;
            x = x.toType(DataType.FLOAT32, false);
            long t0 = System.nanoTime();
            if (model.hasClassifier()) {
                NDArray logits = model.forward(x);
                results.put("logits__" + name, logits);
                NDArray ref = tensors.get("logits__" + name);
                allAgree &= report(name, logits, ref, (System.nanoTime() - t0) / 1e6);
            }
            if (features || !model.hasClassifier()) {
                List<NDArray> feats = model.forwardIntermediates(x);
                for (int i = 0; i < feats.size(); i++) {
                    results.put("feat" + i + "__" + name, feats.get(i));
                }
            }
        }
        if (images == 0) {
            throw new IllegalArgumentException(
                    "the input holds no (B, " + model.config().inChans() + ", H, W) float tensor");
        }
        if (output != null) {
            Safetensors.write(output, results, Map.of("producer", "vmamba run"));
            out.printf(Locale.ROOT, "wrote %d tensors to %s%n", results.size(), output);
        }
        return allAgree ? 0 : 1;
    }

    private static boolean isImageBatch(NDArray x, VMamba model) {
        return x.getShape().dimension() == 4
                && x.getShape().get(1) == model.config().inChans()
                && x.getDataType().isFloating();
    }

    private boolean report(String name, NDArray logits, NDArray reference, double ms) {
        float[] l = logits.toFloatArray();
        out.printf(Locale.ROOT, "%s %s  (%.1f ms)%n", name, logits.getShape(), ms);
        int classes = (int) logits.getShape().get(1);
        if (reference == null) {
            out.println("  logits[0]: " + row(l, 0, classes));
            return true;
        }
        float[] r = reference.toType(DataType.FLOAT32, false).toFloatArray();
        double maxErr = 0;
        double maxRef = 0;
        for (int i = 0; i < l.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(l[i] - r[i]));
            maxRef = Math.max(maxRef, Math.abs(r[i]));
        }
        out.println("  ours    [0]: " + row(l, 0, classes));
        out.println("  official[0]: " + row(r, 0, classes));
        boolean ok = maxErr <= 1e-6 + RTOL * maxRef;
        out.printf(
                Locale.ROOT,
                "  max |ours - official| = %.3g (%.2g of max |logit|) %s%n",
                maxErr,
                maxRef == 0 ? 0 : maxErr / maxRef,
                ok ? "OK" : "MISMATCH");
        return ok;
    }

    private static String row(float[] v, int rowIndex, int width) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < width; i++) {
            sb.append(
                    String.format(
                            Locale.ROOT, i == 0 ? "%8.4f" : ", %8.4f", v[rowIndex * width + i]));
        }
        return sb.append(']').toString();
    }
}
