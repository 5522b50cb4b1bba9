package dev.vmamba.core.config;

import dev.vmamba.core.scan.ScanMode;
import java.util.List;
import java.util.Objects;

/**
 * An official SS2D {@code forward_type} string decoded once into typed options (spec §3.4–§3.5).
 *
 * <p>All released spellings of one function decode to equal options apart from the spelling: the
 * v2/v2v checkpoints were trained as {@code v3_noz} and are configured as {@code v05_noz}; both
 * mean "cross-2D scan, no gate, LayerNorm on the output". Kernel-backend choices and fp32 casting
 * under autocast, which the official strings also encode, do not change the float32 function and
 * are kept only for information.
 *
 * @param spelling the string as written in the config
 * @param kind which SS2D implementation the string selects
 * @param scanMode how the four directions traverse the grid
 * @param gated whether {@code in_proj} produces a gate {@code z} multiplied into the output
 * @param gateActivated whether the gate goes through the activation ({@code false} for {@code
 *     _nozact})
 * @param outActivation whether GELU follows the out-norm ({@code _oact})
 * @param outNorm the out-norm
 * @param castScanToFloat32 whether the official code casts the scan inputs to fp32 under autocast
 */
public record ForwardType(
        String spelling,
        Kind kind,
        ScanMode scanMode,
        boolean gated,
        boolean gateActivated,
        boolean outActivation,
        OutNorm outNorm,
        boolean castScanToFloat32) {

    /** The two SS2D implementations of the official code. */
    public enum Kind {
        /**
         * The January-2024 SS2D ({@code v0}, {@code v0seq}): gated, 3×3 depthwise conv with bias
         * and SiLU hard-wired, channel-last only.
         */
        V0,
        /** The configurable SS2D of the v2 era ({@code v01}…{@code v05}, {@code v3}, …). */
        V2
    }

    private static final List<String> V2_CORES =
            List.of("v01", "v02", "v03", "v04", "v05", "v051d", "v052d", "v3");

    /** The spelling used by every v0 release. */
    public static final ForwardType V0 = parse("v0");

    /** The spelling the v2/v2v release configs use. */
    public static final ForwardType V05_NOZ = parse("v05_noz");

    public ForwardType {
        Objects.requireNonNull(spelling, "spelling");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(scanMode, "scanMode");
        Objects.requireNonNull(outNorm, "outNorm");
        if (kind == Kind.V0 && (!gated || outNorm != OutNorm.LAYER_NORM || outActivation)) {
            throw new IllegalArgumentException("the v0 SS2D is always gated with a LayerNorm");
        }
    }

    /**
     * Decodes an official {@code forward_type} with the official suffix rules: {@code _no32},
     * {@code _oact}, {@code _noz}, {@code _nozact} are stripped from the end in that order, then
     * one out-norm tag ({@code _onnone}, {@code _ondwconv3}, {@code _oncnorm}, {@code _onsoftmax},
     * {@code _onsigmoid}).
     *
     * @param spelling e.g. {@code "v0"}, {@code "v05_noz"}, {@code "v3_noz"}
     * @return the decoded options
     * @throws IllegalArgumentException for a string the official code does not know
     * @throws UnsupportedOperationException for official variants this project does not implement
     */
    public static ForwardType parse(String spelling) {
        Objects.requireNonNull(spelling, "forward_type");
        if (spelling.equals("v0") || spelling.equals("v0seq")) {
            return new ForwardType(
                    spelling,
                    Kind.V0,
                    ScanMode.CROSS2D,
                    true,
                    true,
                    false,
                    OutNorm.LAYER_NORM,
                    true);
        }
        if (spelling.startsWith("xv") || spelling.startsWith("m0")) {
            throw new UnsupportedOperationException(
                    "forward_type '"
                            + spelling
                            + "' (SS2Dv3 / Mamba2 experiments) is not supported:"
                            + " no released model uses it");
        }
        String s = spelling;
        boolean no32 = s.endsWith("_no32");
        s = strip(s, "_no32");
        boolean oact = s.endsWith("_oact");
        s = strip(s, "_oact");
        boolean noz = s.endsWith("_noz");
        s = strip(s, "_noz");
        boolean nozact = s.endsWith("_nozact");
        s = strip(s, "_nozact");
        String outNormTag = null;
        for (String tag :
                List.of("_onnone", "_ondwconv3", "_oncnorm", "_onsoftmax", "_onsigmoid")) {
            if (s.endsWith(tag)) {
                s = strip(s, tag);
                outNormTag = tag;
                break;
            }
        }
        if (s.equals("v2")) {
            throw new UnsupportedOperationException(
                    "forward_type '"
                            + spelling
                            + "' is broken in the official code (it requests the"
                            + " removed 'core' kernel and fails an assertion); the released v2/v2v"
                            + " models use 'v05_noz' (trained as 'v3_noz')");
        }
        if (s.equals("v052dc")) {
            throw new UnsupportedOperationException(
                    "forward_type '" + spelling + "' (cascade2d ablation) is not supported");
        }
        if (!V2_CORES.contains(s)) {
            throw new IllegalArgumentException(
                    "unknown forward_type '"
                            + spelling
                            + "' (known: v0, v0seq, "
                            + String.join(", ", V2_CORES)
                            + ", with suffixes _noz, _nozact,"
                            + " _oact, _no32, _onnone, _onsigmoid)");
        }
        OutNorm outNorm = decodeOutNorm(spelling, outNormTag);
        ScanMode mode =
                s.equals("v051d")
                        ? ScanMode.UNIDI
                        : s.equals("v052d") ? ScanMode.BIDI : ScanMode.CROSS2D;
        boolean castsToFp32 = !no32 && (s.equals("v01") || s.equals("v02") || s.equals("v03"));
        return new ForwardType(spelling, Kind.V2, mode, !noz, !nozact, oact, outNorm, castsToFp32);
    }

    private static OutNorm decodeOutNorm(String spelling, String tag) {
        if (tag == null) {
            return OutNorm.LAYER_NORM;
        }
        switch (tag) {
            case "_onnone":
                return OutNorm.NONE;
            case "_onsigmoid":
                return OutNorm.SIGMOID;
            default:
                throw new UnsupportedOperationException(
                        "forward_type '"
                                + spelling
                                + "': out-norm '"
                                + tag.substring(3)
                                + "' is not supported (supported: LayerNorm, _onnone, _onsigmoid)");
        }
    }

    private static String strip(String s, String suffix) {
        return s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
    }

    /**
     * Whether two forward types compute the same float32 function (all fields but the spelling and
     * the informative fp32-casting flag agree).
     *
     * @param other another forward type
     * @return true when the functions are equal
     */
    public boolean sameFunction(ForwardType other) {
        return kind == other.kind
                && scanMode == other.scanMode
                && gated == other.gated
                && gateActivated == other.gateActivated
                && outActivation == other.outActivation
                && outNorm == other.outNorm;
    }
}
