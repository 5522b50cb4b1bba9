package dev.vmamba.models.analysis;

import dev.vmamba.core.config.DownsampleVersion;
import dev.vmamba.core.config.ForwardType;
import dev.vmamba.core.config.OutNorm;
import dev.vmamba.core.config.PatchEmbedVersion;
import dev.vmamba.core.config.VMambaConfig;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * FLOPs of a VMamba forward pass counted the way the official repository counts them (spec §10.1):
 * fvcore's {@code flop_count} on one image, head included, one fused multiply-add = one FLOP.
 *
 * <p>Rules: convolutions count {@code out_elements · Cin/groups · kh · kw} (bias ignored); linear
 * layers count their MACs; LayerNorm counts 5 per input element; average pooling 1 per input
 * element; the selective scan counts {@code 9·L·KD·N + KD·L} (KD = 4·D channels). Elementwise
 * activations, additions, flips and permutes are not counted. The v0 SS2D computes its x/Δ
 * projections with {@code einsum}, which fvcore counts from NumPy's path report printed with four
 * significant digits: {@code floor(float('%.3e' % (2·MACs)) / 2)}; that rounding is why the v0
 * totals end in odd digits. With these rules the nine released GFLOPs are reproduced exactly.
 */
public final class FlopCounter {

    private static final int K = VMambaConfig.DIRECTIONS;

    private FlopCounter() {}

    /**
     * FLOPs of one part of the network.
     *
     * @param part {@code patch_embed}, {@code layers.i.blocks}, {@code layers.i.downsample} or
     *     {@code classifier}
     * @param flops the count
     */
    public record Part(String part, long flops) {}

    /**
     * A FLOP count with its breakdown.
     *
     * @param height input height
     * @param width input width
     * @param parts per-part counts, in forward order
     */
    public record Count(long height, long width, List<Part> parts) {

        public Count {
            parts = List.copyOf(parts);
        }

        /**
         * @return the total
         */
        public long total() {
            long t = 0;
            for (Part p : parts) {
                t += p.flops();
            }
            return t;
        }

        /**
         * @return the total in units of 10⁹, as the official tables print it
         */
        public double gflops() {
            return total() / 1e9;
        }
    }

    /**
     * Counts one image of the given size through the classifier.
     *
     * @param config the architecture
     * @param height image height
     * @param width image width
     * @return the count with its breakdown
     */
    public static Count count(VMambaConfig config, long height, long width) {
        if (height < config.minimumInputSide() || width < config.minimumInputSide()) {
            throw new IllegalArgumentException(
                    "image "
                            + height
                            + "x"
                            + width
                            + " is smaller than the model's minimum side "
                            + config.minimumInputSide());
        }
        List<Part> parts = new ArrayList<>();
        int p = config.patchSize();
        int cin = config.inChans();
        int c0 = config.stageDim(0);
        long h;
        long w;
        long f;
        if (config.patchEmbed() == PatchEmbedVersion.V1) {
            h = height / p;
            w = width / p;
            f = h * w * c0 * cin * p * p + (config.patchNorm() ? 5 * h * w * c0 : 0);
        } else {
            int k = p / 2 + 1;
            int s = p / 2;
            int c = c0 / 2;
            long h1 = Math.floorDiv(height + 2 - k, s) + 1;
            long w1 = Math.floorDiv(width + 2 - k, s) + 1;
            f = h1 * w1 * c * cin * k * k + (config.patchNorm() ? 5 * h1 * w1 * c : 0);
            h = Math.floorDiv(h1 + 2 - k, s) + 1;
            w = Math.floorDiv(w1 + 2 - k, s) + 1;
            f += h * w * c0 * c * k * k + (config.patchNorm() ? 5 * h * w * c0 : 0);
        }
        parts.add(new Part("patch_embed", f));
        ForwardType ft = config.forwardType();
        boolean einsum = ft.kind() == ForwardType.Kind.V0;
        int n = config.dState();
        for (int i = 0; i < config.numStages(); i++) {
            int d = config.stageDim(i);
            long l = h * w;
            long di = config.dInner(i);
            long r = config.dtRank(i);
            long block = 0;
            if (config.hasSsm()) {
                block += 5 * l * d;
                block += l * d * (ft.gated() ? 2 * di : di);
                int kc = config.effectiveConvKernel();
                if (kc > 1) {
                    block += l * di * kc * kc;
                }
                long xProj = K * (r + 2L * n) * di * l;
                long dtProj = K * di * r * l;
                block += einsum ? einsum(xProj) + einsum(dtProj) : xProj + dtProj;
                block += 9 * l * K * di * n + K * di * l;
                if (ft.outNorm() == OutNorm.LAYER_NORM) {
                    block += 5 * l * di;
                }
                block += l * di * d;
            }
            if (config.hasMlp()) {
                long hidden = config.mlpHidden(i);
                block += 5 * l * d + 2 * l * d * hidden;
            }
            parts.add(new Part("layers." + i + ".blocks", block * config.depths().get(i)));
            if (i < config.numStages() - 1) {
                long o = config.stageDim(i + 1);
                long h2;
                long w2;
                long ds;
                DownsampleVersion v = config.downsample();
                if (v == DownsampleVersion.V1) {
                    h2 = (h + 1) / 2;
                    w2 = (w + 1) / 2;
                    ds = 5 * h2 * w2 * 4 * d + h2 * w2 * 4 * d * o;
                } else if (v == DownsampleVersion.NONE) {
                    h2 = h;
                    w2 = w;
                    ds = 0;
                } else {
                    int k = v == DownsampleVersion.V2 ? 2 : 3;
                    int pad = v == DownsampleVersion.V2 ? 0 : 1;
                    h2 = Math.floorDiv(h + 2 * pad - k, 2) + 1;
                    w2 = Math.floorDiv(w + 2 * pad - k, 2) + 1;
                    ds = h2 * w2 * o * d * k * k + 5 * h2 * w2 * o;
                }
                parts.add(new Part("layers." + i + ".downsample", ds));
                h = h2;
                w = w2;
            }
        }
        long c = config.numFeatures();
        parts.add(new Part("classifier", 5 * h * w * c + h * w * c + c * config.numClasses()));
        return new Count(height, width, parts);
    }

    /**
     * fvcore's generic einsum handler reads NumPy's optimisation report, which prints {@code
     * 2·MACs} with four significant digits ({@code '%.3e'}), and halves it.
     */
    static long einsum(long macs) {
        BigDecimal printed =
                new BigDecimal(2 * macs).round(new MathContext(4, RoundingMode.HALF_EVEN));
        return printed.divide(BigDecimal.valueOf(2))
                .setScale(0, RoundingMode.FLOOR)
                .longValueExact();
    }
}
