package dev.vmamba.core.config;

import java.util.Locale;

/** The official {@code downsample_version}: how stages are joined (spec §3.2). */
public enum DownsampleVersion {
    /** Swin patch merging: 2×2 gather, LayerNorm(4C), Linear 4C→2C; zero-pads odd sizes. */
    V1("v1"),
    /** Conv 2×2 stride 2 then LayerNorm; output ⌊H/2⌋. */
    V2("v2"),
    /** Conv 3×3 stride 2 padding 1 then LayerNorm; output ⌈H/2⌉ (v2/v2v families). */
    V3("v3"),
    /** No downsampling between stages. */
    NONE("none");

    private final String officialName;

    DownsampleVersion(String officialName) {
        this.officialName = officialName;
    }

    /**
     * @return the official spelling
     */
    public String officialName() {
        return officialName;
    }

    /**
     * Output side length for an input side length.
     *
     * @param side height or width
     * @return the downsampled height or width
     */
    public long outputSide(long side) {
        switch (this) {
            case V1:
            case V3:
                return (side + 1) / 2;
            case V2:
                return side / 2;
            case NONE:
                return side;
            default:
                throw new AssertionError(this);
        }
    }

    /**
     * Decodes the official spelling.
     *
     * @param name {@code v1}, {@code v2}, {@code v3} or {@code none} (case-insensitive)
     * @return the version
     */
    public static DownsampleVersion fromOfficialName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (DownsampleVersion v : values()) {
            if (v.officialName.equals(n)) {
                return v;
            }
        }
        throw new IllegalArgumentException(
                "unknown downsample version '" + name + "' (expected v1, v2, v3 or none)");
    }
}
