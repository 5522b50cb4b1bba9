package dev.vmamba.core.config;

import java.util.Locale;

/** The official {@code ssm_init}: how the SSM parameters start (spec §6). */
public enum SsmInit {
    /** S4D-real A, log-uniform Δ bias, D = 1 (every release). */
    V0("v0"),
    /** D = 1, {@code A_logs ~ N(0,1)}, Δ weight/bias {@code ~ 0.1·N(0,1)}. */
    V1("v1"),
    /** D = 1, {@code A_logs = 0}, Δ weight/bias {@code ~ 0.1·U(0,1)}. */
    V2("v2");

    private final String officialName;

    SsmInit(String officialName) {
        this.officialName = officialName;
    }

    /**
     * @return the official spelling
     */
    public String officialName() {
        return officialName;
    }

    /**
     * Decodes the official spelling.
     *
     * @param name {@code v0}, {@code v1} or {@code v2} (case-insensitive)
     * @return the init scheme
     */
    public static SsmInit fromOfficialName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (SsmInit v : values()) {
            if (v.officialName.equals(n)) {
                return v;
            }
        }
        throw new IllegalArgumentException(
                "unknown ssm init '" + name + "' (expected v0, v1 or v2)");
    }
}
