package dev.vmamba.core.nn;

import ai.djl.ndarray.NDArray;
import java.util.Locale;

/** The element-wise activations the official code lets a config name ({@code act_layer}). */
public enum Activation {
    /** {@code x·σ(x)} ({@code nn.SiLU}); the SSM branch's default. */
    SILU("silu"),
    /** Exact (erf) GELU ({@code nn.GELU()}); the MLP's default. */
    GELU("gelu"),
    /** {@code max(x, 0)}. */
    RELU("relu"),
    /** {@code σ(x)}. */
    SIGMOID("sigmoid");

    private final String officialName;

    Activation(String officialName) {
        this.officialName = officialName;
    }

    /**
     * @return the spelling used in the official configs
     */
    public String officialName() {
        return officialName;
    }

    /**
     * Decodes an official activation name (case-insensitive).
     *
     * @param name e.g. {@code "silu"}
     * @return the activation
     * @throws IllegalArgumentException for an unknown name
     */
    public static Activation fromOfficialName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (Activation a : values()) {
            if (a.officialName.equals(n)) {
                return a;
            }
        }
        throw new IllegalArgumentException(
                "unknown activation '" + name + "' (expected silu, gelu, relu or sigmoid)");
    }

    /**
     * Applies the activation.
     *
     * @param x any array
     * @return a new array of the same shape
     */
    public NDArray apply(NDArray x) {
        switch (this) {
            case SILU:
                return x.mul(ai.djl.nn.Activation.sigmoid(x));
            case GELU:
                return ai.djl.nn.Activation.gelu(x);
            case RELU:
                return ai.djl.nn.Activation.relu(x);
            case SIGMOID:
                return ai.djl.nn.Activation.sigmoid(x);
            default:
                throw new AssertionError(this);
        }
    }
}
