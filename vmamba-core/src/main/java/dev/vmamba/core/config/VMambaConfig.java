package dev.vmamba.core.config;

import dev.vmamba.core.nn.Activation;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The architecture of a VMamba model: every knob of the official {@code VSSM} constructor that
 * changes the function or the state dict (spec §1.2, Appendix A). Immutable and validated on
 * construction; derived quantities ({@link #stageDim}, {@link #dInner}, {@link #dtRank}) are
 * methods. Start from {@link #builder()} (the official {@code config.py} defaults) or from a {@link
 * ModelFamily}.
 *
 * @param name a free-form run name ({@code MODEL.NAME})
 * @param patchSize the stem's total stride
 * @param inChans input image channels
 * @param numClasses classifier outputs
 * @param embedDim channels of stage 0; stage i has {@code embedDim·2^i}
 * @param depths VSS blocks per stage
 * @param dState the SSM state size N
 * @param ssmRatio d_inner / d_model (0 disables the SS2D branch)
 * @param dtRankOverride the Δ projection rank R, or {@link #DT_RANK_AUTO} for ⌈C/16⌉
 * @param ssmAct activation of the SS2D conv branch (and gate)
 * @param dConv depthwise conv kernel of SS2D (below 2: no conv)
 * @param convBias whether that conv has a bias
 * @param ssmDropRate dropout after {@code out_proj}
 * @param ssmInit SSM parameter initialisation scheme
 * @param forwardType the decoded SS2D forward type
 * @param mlpRatio MLP hidden / d_model (0 disables the MLP branch)
 * @param mlpAct the MLP activation
 * @param mlpDropRate dropout inside the MLP
 * @param patchNorm whether the stem has LayerNorms
 * @param normLayer LayerNorm flavour (decides the official layout)
 * @param downsample how stages are joined
 * @param patchEmbed the stem version
 * @param dropPathRate stochastic depth at the last block (linear ramp from 0)
 */
public record VMambaConfig(
        String name,
        int patchSize,
        int inChans,
        int numClasses,
        int embedDim,
        List<Integer> depths,
        int dState,
        double ssmRatio,
        int dtRankOverride,
        Activation ssmAct,
        int dConv,
        boolean convBias,
        double ssmDropRate,
        SsmInit ssmInit,
        ForwardType forwardType,
        double mlpRatio,
        Activation mlpAct,
        double mlpDropRate,
        boolean patchNorm,
        NormLayer normLayer,
        DownsampleVersion downsample,
        PatchEmbedVersion patchEmbed,
        double dropPathRate) {

    /** {@code ssm_dt_rank: "auto"}, i.e. ⌈d_model / 16⌉ per stage. */
    public static final int DT_RANK_AUTO = -1;

    /** The four cross-scan directions (K). */
    public static final int DIRECTIONS = 4;

    /** Validates every field; messages name the official config key. */
    public VMambaConfig {
        Objects.requireNonNull(name, "name");
        depths = List.copyOf(Objects.requireNonNull(depths, "MODEL.VSSM.DEPTHS"));
        Objects.requireNonNull(ssmAct, "MODEL.VSSM.SSM_ACT_LAYER");
        Objects.requireNonNull(ssmInit, "MODEL.VSSM.SSM_INIT");
        Objects.requireNonNull(forwardType, "MODEL.VSSM.SSM_FORWARDTYPE");
        Objects.requireNonNull(mlpAct, "MODEL.VSSM.MLP_ACT_LAYER");
        Objects.requireNonNull(normLayer, "MODEL.VSSM.NORM_LAYER");
        Objects.requireNonNull(downsample, "MODEL.VSSM.DOWNSAMPLE");
        Objects.requireNonNull(patchEmbed, "MODEL.VSSM.PATCHEMBED");
        positive("MODEL.VSSM.PATCH_SIZE", patchSize);
        positive("MODEL.VSSM.IN_CHANS", inChans);
        positive("MODEL.NUM_CLASSES", numClasses);
        positive("MODEL.VSSM.EMBED_DIM", embedDim);
        if (depths.isEmpty() || depths.size() > 8) {
            throw new IllegalArgumentException(
                    "MODEL.VSSM.DEPTHS must list 1 to 8 stages, got " + depths);
        }
        for (int d : depths) {
            if (d < 1) {
                throw new IllegalArgumentException(
                        "MODEL.VSSM.DEPTHS entries must be >= 1, got " + depths);
            }
        }
        if ((long) embedDim << (depths.size() - 1) > Integer.MAX_VALUE / 8) {
            throw new IllegalArgumentException(
                    "MODEL.VSSM.EMBED_DIM "
                            + embedDim
                            + " is too large for "
                            + depths.size()
                            + " stages");
        }
        if (dState < 1 || dState > 256) {
            throw new IllegalArgumentException(
                    "MODEL.VSSM.SSM_D_STATE must be in 1..256 (the kernels' limit), got " + dState);
        }
        if (!(ssmRatio >= 0) || ssmRatio > 64) {
            throw new IllegalArgumentException(
                    "MODEL.VSSM.SSM_RATIO must be in [0, 64], got " + ssmRatio);
        }
        if (!(mlpRatio >= 0) || mlpRatio > 64) {
            throw new IllegalArgumentException(
                    "MODEL.VSSM.MLP_RATIO must be in [0, 64], got " + mlpRatio);
        }
        if (ssmRatio == 0 && mlpRatio == 0) {
            throw new IllegalArgumentException(
                    "MODEL.VSSM.SSM_RATIO and MODEL.VSSM.MLP_RATIO are both 0: blocks would be"
                            + " empty");
        }
        if (dtRankOverride != DT_RANK_AUTO && dtRankOverride < 1) {
            throw new IllegalArgumentException(
                    "MODEL.VSSM.SSM_DT_RANK must be \"auto\" or a positive integer, got "
                            + dtRankOverride);
        }
        if (dConv < 0 || dConv > 1 && dConv % 2 == 0) {
            throw new IllegalArgumentException(
                    "MODEL.VSSM.SSM_CONV must be an odd kernel size or < 2 for none, got " + dConv);
        }
        probability("MODEL.VSSM.SSM_DROP_RATE", ssmDropRate);
        probability("MODEL.VSSM.MLP_DROP_RATE", mlpDropRate);
        probability("MODEL.DROP_PATH_RATE", dropPathRate);
        if (patchEmbed == PatchEmbedVersion.V2 && patchSize % 2 != 0) {
            throw new IllegalArgumentException(
                    "MODEL.VSSM.PATCH_SIZE must be even for PATCHEMBED v2 (stride patch/2), got "
                            + patchSize);
        }
        if (normLayer == NormLayer.BN) {
            throw new UnsupportedOperationException(
                    "MODEL.VSSM.NORM_LAYER 'bn' is not supported (no released model uses it)");
        }
        if (forwardType.kind() == ForwardType.Kind.V0 && normLayer.channelFirst()) {
            throw new IllegalArgumentException(
                    "MODEL.VSSM.SSM_FORWARDTYPE 'v0' requires NORM_LAYER 'ln' (the official v0 SS2D"
                            + " rejects channel-first layouts)");
        }
    }

    private static void positive(String key, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(key + " must be positive, got " + v);
        }
    }

    private static void probability(String key, double p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException(key + " must be in [0, 1), got " + p);
        }
    }

    /**
     * @return the number of stages
     */
    public int numStages() {
        return depths.size();
    }

    /**
     * @return the total number of VSS blocks
     */
    public int totalBlocks() {
        int n = 0;
        for (int d : depths) {
            n += d;
        }
        return n;
    }

    /**
     * @param stage stage index
     * @return d_model of that stage, {@code embedDim·2^stage}
     */
    public int stageDim(int stage) {
        checkStage(stage);
        return embedDim << stage;
    }

    /**
     * @return the channels of the last stage (the classifier's input)
     */
    public int numFeatures() {
        return stageDim(numStages() - 1);
    }

    /**
     * @param stage stage index
     * @return d_inner = {@code int(ssm_ratio·d_model)} of that stage
     */
    public int dInner(int stage) {
        return (int) (ssmRatio * stageDim(stage));
    }

    /**
     * @param stage stage index
     * @return the Δ projection rank R of that stage
     */
    public int dtRank(int stage) {
        return dtRankOverride == DT_RANK_AUTO ? (stageDim(stage) + 15) / 16 : dtRankOverride;
    }

    /**
     * @param stage stage index
     * @return the MLP hidden width {@code int(d_model·mlp_ratio)}
     */
    public int mlpHidden(int stage) {
        return (int) (stageDim(stage) * mlpRatio);
    }

    /**
     * @return whether blocks have the SS2D branch
     */
    public boolean hasSsm() {
        return ssmRatio > 0;
    }

    /**
     * @return whether blocks have the MLP branch
     */
    public boolean hasMlp() {
        return mlpRatio > 0;
    }

    /**
     * The depthwise-conv kernel SS2D actually uses: the v0 SS2D hard-wires 3.
     *
     * @return the kernel side, below 2 meaning no conv
     */
    public int effectiveConvKernel() {
        return forwardType.kind() == ForwardType.Kind.V0 ? 3 : dConv;
    }

    /**
     * @return whether SS2D's conv has a bias (hard-wired on for v0)
     */
    public boolean effectiveConvBias() {
        return forwardType.kind() == ForwardType.Kind.V0 || convBias;
    }

    /**
     * @return the SS2D activation (hard-wired SiLU for v0)
     */
    public Activation effectiveSsmAct() {
        return forwardType.kind() == ForwardType.Kind.V0 ? Activation.SILU : ssmAct;
    }

    /**
     * Drop-path rate of the k-th block overall, {@code linspace(0, rate, total)[k]}.
     *
     * @param blockIndex block index over all stages
     * @return the rate
     */
    public double dropPath(int blockIndex) {
        int n = totalBlocks();
        return n == 1 ? 0.0 : dropPathRate * blockIndex / (n - 1);
    }

    /**
     * Spatial size of every stage's output for an input image (spec §3.9).
     *
     * @param height input height
     * @param width input width
     * @return {@code [stage][0 = H, 1 = W]}
     */
    public long[][] stageResolutions(long height, long width) {
        long[][] out = new long[numStages()][];
        long h = patchEmbed.outputSide(height, patchSize);
        long w = patchEmbed.outputSide(width, patchSize);
        for (int i = 0; i < numStages(); i++) {
            out[i] = new long[] {h, w};
            h = downsample.outputSide(h);
            w = downsample.outputSide(w);
        }
        return out;
    }

    /**
     * The smallest input side that gives every stage at least one pixel.
     *
     * @return the minimal height/width
     */
    public int minimumInputSide() {
        for (int side = 1; ; side++) {
            long[][] r = stageResolutions(side, side);
            if (r[0][0] >= 1 && r[numStages() - 1][0] >= 1) {
                return side;
            }
        }
    }

    private void checkStage(int stage) {
        if (stage < 0 || stage >= numStages()) {
            throw new IndexOutOfBoundsException(
                    "stage " + stage + " of a " + numStages() + "-stage model");
        }
    }

    /**
     * @return a builder holding this config's values
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Returns a builder holding the official {@code config.py} defaults (Appendix A), except the
     * forward type: {@code "v05_noz"} instead of the broken {@code "v2"}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Mutable builder; {@link #build()} validates. Defaults are the official config.py ones. */
    public static final class Builder {
        private String name = "vssm_tiny_224";
        private int patchSize = 4;
        private int inChans = 3;
        private int numClasses = 1000;
        private int embedDim = 96;
        private List<Integer> depths = List.of(2, 2, 9, 2);
        private int dState = 16;
        private double ssmRatio = 2.0;
        private int dtRank = DT_RANK_AUTO;
        private Activation ssmAct = Activation.SILU;
        private int dConv = 3;
        private boolean convBias = true;
        private double ssmDropRate;
        private SsmInit ssmInit = SsmInit.V0;
        // config.py says "v2", which is broken in the official code (see ForwardType.parse);
        // the builder starts from the released v2/v2v spelling instead.
        private String forwardType = "v05_noz";
        private double mlpRatio = 4.0;
        private Activation mlpAct = Activation.GELU;
        private double mlpDropRate;
        private boolean patchNorm = true;
        private NormLayer normLayer = NormLayer.LN;
        private DownsampleVersion downsample = DownsampleVersion.V2;
        private PatchEmbedVersion patchEmbed = PatchEmbedVersion.V2;
        private double dropPathRate = 0.1;

        private Builder() {}

        private Builder(VMambaConfig c) {
            name = c.name;
            patchSize = c.patchSize;
            inChans = c.inChans;
            numClasses = c.numClasses;
            embedDim = c.embedDim;
            depths = c.depths;
            dState = c.dState;
            ssmRatio = c.ssmRatio;
            dtRank = c.dtRankOverride;
            ssmAct = c.ssmAct;
            dConv = c.dConv;
            convBias = c.convBias;
            ssmDropRate = c.ssmDropRate;
            ssmInit = c.ssmInit;
            forwardType = c.forwardType.spelling();
            mlpRatio = c.mlpRatio;
            mlpAct = c.mlpAct;
            mlpDropRate = c.mlpDropRate;
            patchNorm = c.patchNorm;
            normLayer = c.normLayer;
            downsample = c.downsample;
            patchEmbed = c.patchEmbed;
            dropPathRate = c.dropPathRate;
        }

        /**
         * @param v {@code MODEL.NAME} @return this
         */
        public Builder name(String v) {
            name = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.PATCH_SIZE} @return this
         */
        public Builder patchSize(int v) {
            patchSize = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.IN_CHANS} @return this
         */
        public Builder inChans(int v) {
            inChans = v;
            return this;
        }

        /**
         * @param v {@code MODEL.NUM_CLASSES} @return this
         */
        public Builder numClasses(int v) {
            numClasses = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.EMBED_DIM} @return this
         */
        public Builder embedDim(int v) {
            embedDim = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.DEPTHS} @return this
         */
        public Builder depths(List<Integer> v) {
            depths = new ArrayList<>(v);
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.DEPTHS} @return this
         */
        public Builder depths(int... v) {
            List<Integer> l = new ArrayList<>();
            for (int d : v) {
                l.add(d);
            }
            depths = l;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.SSM_D_STATE} @return this
         */
        public Builder dState(int v) {
            dState = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.SSM_RATIO} @return this
         */
        public Builder ssmRatio(double v) {
            ssmRatio = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.SSM_DT_RANK}, or {@link #DT_RANK_AUTO} @return this
         */
        public Builder dtRank(int v) {
            dtRank = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.SSM_ACT_LAYER} @return this
         */
        public Builder ssmAct(Activation v) {
            ssmAct = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.SSM_CONV} @return this
         */
        public Builder dConv(int v) {
            dConv = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.SSM_CONV_BIAS} @return this
         */
        public Builder convBias(boolean v) {
            convBias = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.SSM_DROP_RATE} @return this
         */
        public Builder ssmDropRate(double v) {
            ssmDropRate = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.SSM_INIT} @return this
         */
        public Builder ssmInit(SsmInit v) {
            ssmInit = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.SSM_FORWARDTYPE}, decoded on build @return this
         */
        public Builder forwardType(String v) {
            forwardType = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.MLP_RATIO} @return this
         */
        public Builder mlpRatio(double v) {
            mlpRatio = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.MLP_ACT_LAYER} @return this
         */
        public Builder mlpAct(Activation v) {
            mlpAct = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.MLP_DROP_RATE} @return this
         */
        public Builder mlpDropRate(double v) {
            mlpDropRate = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.PATCH_NORM} @return this
         */
        public Builder patchNorm(boolean v) {
            patchNorm = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.NORM_LAYER} @return this
         */
        public Builder normLayer(NormLayer v) {
            normLayer = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.DOWNSAMPLE} @return this
         */
        public Builder downsample(DownsampleVersion v) {
            downsample = v;
            return this;
        }

        /**
         * @param v {@code MODEL.VSSM.PATCHEMBED} @return this
         */
        public Builder patchEmbed(PatchEmbedVersion v) {
            patchEmbed = v;
            return this;
        }

        /**
         * @param v {@code MODEL.DROP_PATH_RATE} @return this
         */
        public Builder dropPathRate(double v) {
            dropPathRate = v;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the config
         * @throws IllegalArgumentException naming the offending key
         * @throws UnsupportedOperationException for official options this project does not
         *     implement
         */
        public VMambaConfig build() {
            return new VMambaConfig(
                    name,
                    patchSize,
                    inChans,
                    numClasses,
                    embedDim,
                    depths,
                    dState,
                    ssmRatio,
                    dtRank,
                    ssmAct,
                    dConv,
                    convBias,
                    ssmDropRate,
                    ssmInit,
                    ForwardType.parse(forwardType),
                    mlpRatio,
                    mlpAct,
                    mlpDropRate,
                    patchNorm,
                    normLayer,
                    downsample,
                    patchEmbed,
                    dropPathRate);
        }
    }
}
