package dev.vmamba.core.weights;

import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * The outcome of matching a state dict against a model: which keys were loaded and every problem,
 * so one error message can list them all.
 *
 * @param loaded keys copied into the model
 * @param missing model keys the state dict lacks
 * @param unexpected state-dict keys the model does not have
 * @param mismatched keys present on both sides with a different shape or a non-float dtype
 */
public record LoadReport(
        List<String> loaded,
        List<String> missing,
        List<String> unexpected,
        List<Mismatch> mismatched) {

    /**
     * One key whose tensor does not fit.
     *
     * @param key the state-dict key
     * @param expected the model's shape
     * @param actual the checkpoint's shape
     * @param reason what is wrong
     */
    public record Mismatch(String key, Shape expected, Shape actual, String reason) {
        @Override
        public String toString() {
            return key + ": " + reason + " (model " + expected + ", checkpoint " + actual + ")";
        }
    }

    public LoadReport {
        loaded = List.copyOf(loaded);
        missing = List.copyOf(missing);
        unexpected = List.copyOf(unexpected);
        mismatched = List.copyOf(mismatched);
    }

    /**
     * @return true when every model key was found with the right shape and nothing was left over
     */
    public boolean isClean() {
        return missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty();
    }

    /**
     * @return a multi-line description of every problem (empty when clean)
     */
    public String describeProblems() {
        StringBuilder sb = new StringBuilder();
        append(sb, "missing keys", missing);
        append(sb, "unexpected keys", unexpected);
        append(sb, "mis-shaped or non-float keys", mismatched);
        return sb.toString().trim();
    }

    private static void append(StringBuilder sb, String title, List<?> items) {
        if (items.isEmpty()) {
            return;
        }
        sb.append(title).append(" (").append(items.size()).append("):\n");
        for (Object o : items) {
            sb.append("  ").append(o).append('\n');
        }
    }
}
