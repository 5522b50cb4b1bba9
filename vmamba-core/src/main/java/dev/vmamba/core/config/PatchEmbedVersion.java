package dev.vmamba.core.config;

import java.util.Locale;

/** The official {@code patchembed_version}: the stem (spec §3.1). */
public enum PatchEmbedVersion {
    /** One conv with kernel = stride = patch size, then LayerNorm (v0 family). */
    V1("v1"),
    /** Two 3×3 convs of stride patch/2 with LayerNorm and GELU between (v2/v2v families). */
    V2("v2");

    private final String officialName;

    PatchEmbedVersion(String officialName) {
        this.officialName = officialName;
    }

    /**
     * @return the official spelling
     */
    public String officialName() {
        return officialName;
    }

    /**
     * Output side length of the stem.
     *
     * @param side input height or width
     * @param patchSize the patch size
     * @return the stage-0 height or width
     */
    public long outputSide(long side, int patchSize) {
        if (this == V1) {
            return side / patchSize;
        }
        int s = patchSize / 2;
        int k = s + 1;
        long once = (side + 2 - k) / s + 1;
        return (once + 2 - k) / s + 1;
    }

    /**
     * Decodes the official spelling.
     *
     * @param name {@code v1} or {@code v2} (case-insensitive)
     * @return the version
     */
    public static PatchEmbedVersion fromOfficialName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (PatchEmbedVersion v : values()) {
            if (v.officialName.equals(n)) {
                return v;
            }
        }
        throw new IllegalArgumentException(
                "unknown patch embed version '" + name + "' (expected v1 or v2)");
    }
}
