package dev.vmamba.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.vmamba.core.block.Classifier;
import dev.vmamba.core.block.PatchEmbed;
import dev.vmamba.core.block.VSSLayer;
import dev.vmamba.core.config.VMambaConfig;
import dev.vmamba.core.nn.LayerNorm;
import dev.vmamba.core.nn.StateDictBlock;
import dev.vmamba.core.scan.ScanBackend;
import dev.vmamba.core.scan.ScanSelector;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A VMamba model (the official {@code VSSM}, spec §3.7) as a DJL block: stem, four stages of VSS
 * blocks with downsampling, and a classification head and/or per-stage output norms (the
 * detection/segmentation {@code Backbone_VSSM}, spec §3.8).
 *
 * <p>State-dict keys are exactly the official ones ({@link #stateDict()}), so loading a checkpoint
 * is a walk over this tree. Inputs are NCHW float32 images; every public output is NCHW (features)
 * or {@code (B, classes)} (logits).
 *
 * <pre>{@code
 * VMamba model = VMamba.builder(ModelFamily.V0.base().build()).build();
 * model.initialize(manager, DataType.FLOAT32);          // or load official weights
 * NDArray logits = model.forward(images);                // (B, 1000)
 * List<NDArray> maps = model.forwardIntermediates(images);
 * }</pre>
 */
public final class VMamba extends StateDictBlock {

    private final VMambaConfig config;
    private final PatchEmbed patchEmbed;
    private final List<VSSLayer> layers;
    private final Classifier classifier;
    private final Map<Integer, LayerNorm> outNorms;
    private volatile ScanBackend scanBackend;

    private VMamba(Builder b) {
        this.config = b.config;
        this.scanBackend = b.scanBackend;
        ScanSelector selector = ScanSelector.of(() -> scanBackend);
        patchEmbed = registerModule("patch_embed", new PatchEmbed(config));
        List<VSSLayer> stages = new ArrayList<>();
        int first = 0;
        for (int i = 0; i < config.numStages(); i++) {
            stages.add(registerModule("layers." + i, new VSSLayer(config, i, first, selector)));
            first += config.depths().get(i);
        }
        layers = Collections.unmodifiableList(stages);
        classifier =
                b.classifier
                        ? registerModule(
                                "classifier",
                                new Classifier(config.numFeatures(), config.numClasses()))
                        : null;
        Map<Integer, LayerNorm> norms = new LinkedHashMap<>();
        for (int i : b.outIndices) {
            norms.put(i, registerModule("outnorm" + i, new LayerNorm(config.stageDim(i))));
        }
        outNorms = Collections.unmodifiableMap(norms);
    }

    /**
     * Starts building a model.
     *
     * @param config the architecture
     * @return a builder (classifier on, no output norms, scan backend AUTO)
     */
    public static Builder builder(VMambaConfig config) {
        return new Builder(config);
    }

    /**
     * @return the architecture
     */
    public VMambaConfig config() {
        return config;
    }

    /**
     * @return the stages
     */
    public List<VSSLayer> layers() {
        return layers;
    }

    /**
     * @return whether the model has the classification head
     */
    public boolean hasClassifier() {
        return classifier != null;
    }

    /**
     * @return the stages that have an output norm ({@code Backbone_VSSM.out_indices})
     */
    public List<Integer> outIndices() {
        return List.copyOf(outNorms.keySet());
    }

    /**
     * @return the selective-scan backend SS2D modules use
     */
    public ScanBackend scanBackend() {
        return scanBackend;
    }

    /**
     * Switches the selective-scan backend of every SS2D module (takes effect on the next call).
     *
     * @param backend the backend
     */
    public void setScanBackend(ScanBackend backend) {
        this.scanBackend = Objects.requireNonNull(backend, "backend");
    }

    /**
     * Describes the feature maps of {@link #forwardIntermediates}: one per output norm, or every
     * stage when the model has none.
     *
     * @return channels and strides per exposed stage
     */
    public List<FeatureInfo> featureInfo() {
        List<FeatureInfo> out = new ArrayList<>();
        for (int i : exposedStages()) {
            out.add(new FeatureInfo(i, config.stageDim(i), reduction(i), "layers." + i));
        }
        return out;
    }

    private int reduction(int stage) {
        long side = 1L << 20;
        long[][] r = config.stageResolutions(side, side);
        return (int) Math.round((double) side / r[stage][0]);
    }

    private List<Integer> exposedStages() {
        if (!outNorms.isEmpty()) {
            return outIndices();
        }
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < config.numStages(); i++) {
            all.add(i);
        }
        return all;
    }

    /**
     * Class logits.
     *
     * @param store the parameter store
     * @param images {@code (B, in_chans, H, W)} float32
     * @param training whether this is a training pass (drop path, dropout)
     * @return {@code (B, num_classes)}
     */
    public NDArray forward(ParameterStore store, NDArray images, boolean training) {
        requireClassifier();
        NDArray last = trunk(store, images, training, null);
        return classifier.apply(store, last, training);
    }

    /**
     * Class logits for inference, with a parameter store over the images' manager.
     *
     * @param images {@code (B, in_chans, H, W)} float32
     * @return {@code (B, num_classes)}
     */
    public NDArray forward(NDArray images) {
        return forward(new ParameterStore(images.getManager(), false), images, false);
    }

    /**
     * The last stage's map before the head (timm's {@code forward_features}).
     *
     * @param store the parameter store
     * @param images {@code (B, in_chans, H, W)} float32
     * @param training whether this is a training pass
     * @return {@code (B, C_last, H_last, W_last)}
     */
    public NDArray forwardFeatures(ParameterStore store, NDArray images, boolean training) {
        return trunk(store, images, training, null).transpose(0, 3, 1, 2);
    }

    /**
     * The head on a {@link #forwardFeatures} map (timm's {@code forward_head}).
     *
     * @param store the parameter store
     * @param features {@code (B, C_last, H, W)}
     * @param training whether this is a training pass
     * @return {@code (B, num_classes)}
     */
    public NDArray forwardHead(ParameterStore store, NDArray features, boolean training) {
        requireClassifier();
        return classifier.apply(store, features.transpose(0, 2, 3, 1), training);
    }

    /**
     * Multi-scale features (the official {@code Backbone_VSSM} outputs): each exposed stage's
     * output before downsampling, through its output norm when the model has one.
     *
     * @param store the parameter store
     * @param images {@code (B, in_chans, H, W)} float32
     * @param training whether this is a training pass
     * @return NCHW maps as described by {@link #featureInfo()}
     */
    public List<NDArray> forwardIntermediates(
            ParameterStore store, NDArray images, boolean training) {
        List<NDArray> out = new ArrayList<>();
        trunk(store, images, training, out);
        return out;
    }

    /**
     * {@link #forwardIntermediates(ParameterStore, NDArray, boolean)} for inference.
     *
     * @param images {@code (B, in_chans, H, W)} float32
     * @return NCHW maps
     */
    public List<NDArray> forwardIntermediates(NDArray images) {
        return forwardIntermediates(new ParameterStore(images.getManager(), false), images, false);
    }

    private NDArray trunk(
            ParameterStore store, NDArray images, boolean training, List<NDArray> features) {
        validateImages(images);
        prefetch(store, images.getDevice(), training);
        NDArray x = scoped(() -> patchEmbed.apply(store, images, training));
        List<Integer> exposed = features == null ? List.of() : exposedStages();
        int lastNeeded = features == null ? config.numStages() - 1 : maxOf(exposed);
        for (int i = 0; i <= lastNeeded; i++) {
            VSSLayer layer = layers.get(i);
            NDArray stageOut = layer.applyBlocks(store, x, training);
            if (exposed.contains(i)) {
                LayerNorm norm = outNorms.get(i);
                features.add(
                        scoped(
                                () ->
                                        (norm == null
                                                        ? stageOut
                                                        : norm.apply(store, stageOut, training))
                                                .transpose(0, 3, 1, 2)));
            }
            x = i < lastNeeded ? layer.applyDownsample(store, stageOut, training) : stageOut;
        }
        return x;
    }

    private static int maxOf(List<Integer> xs) {
        return new TreeSet<>(xs).last();
    }

    /**
     * Checks an image batch before anything runs.
     *
     * @param images the input
     * @throws IllegalArgumentException naming what is wrong
     */
    public void validateImages(NDArray images) {
        Shape s = images.getShape();
        String expected = "(B, " + config.inChans() + ", H, W) float32 images";
        if (s.dimension() != 4) {
            throw new IllegalArgumentException(
                    "VMamba expects " + expected + ", got a " + s.dimension() + "-D array " + s);
        }
        if (s.get(1) != config.inChans()) {
            throw new IllegalArgumentException(
                    "VMamba expects "
                            + expected
                            + " but the input has "
                            + s.get(1)
                            + " channels: "
                            + s);
        }
        if (images.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException(
                    "VMamba expects " + expected + ", got dtype " + images.getDataType());
        }
        if (s.get(0) < 1) {
            throw new IllegalArgumentException("VMamba got an empty batch: " + s);
        }
        int min = config.minimumInputSide();
        if (s.get(2) < min || s.get(3) < min) {
            throw new IllegalArgumentException(
                    "image "
                            + s.get(2)
                            + "x"
                            + s.get(3)
                            + " is smaller than this model's minimum "
                            + min
                            + "x"
                            + min
                            + " (patch size "
                            + config.patchSize()
                            + ")");
        }
    }

    private void requireClassifier() {
        if (classifier == null) {
            throw new IllegalStateException(
                    "this VMamba was built without a classifier (a backbone): use"
                            + " forwardIntermediates or forwardFeatures");
        }
    }

    /**
     * DJL entry point: one input (images); returns the logits when the model has a classifier,
     * otherwise the multi-scale features.
     */
    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray images = single(inputs, "VMamba");
        if (classifier != null) {
            return new NDList(forward(store, images, training));
        }
        return new NDList(forwardIntermediates(store, images, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        if (classifier != null) {
            return new Shape[] {new Shape(s.get(0), config.numClasses())};
        }
        long[][] r = config.stageResolutions(s.get(2), s.get(3));
        List<Shape> out = new ArrayList<>();
        for (int i : exposedStages()) {
            out.add(new Shape(s.get(0), config.stageDim(i), r[i][0], r[i][1]));
        }
        return out.toArray(new Shape[0]);
    }

    /** Builds {@link VMamba} instances. */
    public static final class Builder {
        private final VMambaConfig config;
        private boolean classifier = true;
        private final TreeSet<Integer> outIndices = new TreeSet<>();
        private ScanBackend scanBackend = ScanBackend.AUTO;

        private Builder(VMambaConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /**
         * @param on whether to build the classification head ({@code classifier.*} keys)
         * @return this
         */
        public Builder classifier(boolean on) {
            classifier = on;
            return this;
        }

        /**
         * Adds per-stage output norms ({@code outnorm{i}.*} keys), as {@code Backbone_VSSM}.
         *
         * @param indices stage indices
         * @return this
         */
        public Builder outNorms(int... indices) {
            for (int i : indices) {
                if (i < 0 || i >= config.numStages()) {
                    throw new IllegalArgumentException(
                            "out index " + i + " outside 0.." + (config.numStages() - 1));
                }
                outIndices.add(i);
            }
            return this;
        }

        /**
         * @param backend the selective-scan backend
         * @return this
         */
        public Builder scanBackend(ScanBackend backend) {
            scanBackend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /**
         * The official {@code Backbone_VSSM}: no classifier, output norms on all stages.
         *
         * @return this
         */
        public Builder backbone() {
            classifier = false;
            for (int i = 0; i < config.numStages(); i++) {
                outIndices.add(i);
            }
            return this;
        }

        /**
         * @return the model (parameters declared, no arrays yet)
         */
        public VMamba build() {
            return new VMamba(this);
        }
    }
}
