package dev.vmamba.core.config;

import java.util.Locale;

/**
 * The official {@code norm_layer} option. It selects LayerNorm and the activation layout; the two
 * LayerNorm spellings compute the same function from the same state dict (spec §2), and this
 * project keeps activations channel-last internally for both.
 */
public enum NormLayer {
    /** {@code "ln"}: LayerNorm, channel-last activations (v0 family). */
    LN("ln"),
    /** {@code "ln2d"}: LayerNorm2d, channel-first activations (v2/v2v families). */
    LN2D("ln2d"),
    /** {@code "bn"}: BatchNorm2d; no released model uses it and it is not supported. */
    BN("bn");

    private final String officialName;

    NormLayer(String officialName) {
        this.officialName = officialName;
    }

    /**
     * @return the official spelling
     */
    public String officialName() {
        return officialName;
    }

    /**
     * @return whether the official model runs channel-first with this norm
     */
    public boolean channelFirst() {
        return this != LN;
    }

    /**
     * Decodes the official spelling.
     *
     * @param name {@code ln}, {@code ln2d} or {@code bn} (case-insensitive)
     * @return the norm layer
     */
    public static NormLayer fromOfficialName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (NormLayer v : values()) {
            if (v.officialName.equals(n)) {
                return v;
            }
        }
        throw new IllegalArgumentException(
                "unknown norm layer '" + name + "' (expected ln, ln2d or bn)");
    }
}
