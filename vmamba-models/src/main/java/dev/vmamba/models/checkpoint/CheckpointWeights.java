package dev.vmamba.models.checkpoint;

import ai.djl.MalformedModelException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which weights of a training checkpoint to use (spec §7.5). The official training script saves
 * {@code {'model': ..., 'model_ema': ..., 'optimizer': ..., 'config': ..., ...}}; the {@code model}
 * entry is the one that reproduces the published accuracy, so it is the default.
 *
 * <p>Selection rules for {@link #MODEL}: the {@code model} entry; else a {@code state_dict} entry
 * (mmdet/mmseg checkpoints); else the top-level dict itself when it is a bare state dict (only
 * tensors). {@link #MODEL_EMA} requires a {@code model_ema} entry. Anything else is rejected with a
 * message listing what the file holds.
 */
public enum CheckpointWeights {
    /** The {@code model} entry (default). */
    MODEL("model"),
    /** The {@code model_ema} entry (exponential moving average of the weights). */
    MODEL_EMA("model_ema");

    private final String entry;

    CheckpointWeights(String entry) {
        this.entry = entry;
    }

    /**
     * @return the checkpoint entry this selection reads
     */
    public String entry() {
        return entry;
    }

    /**
     * The state dict chosen from an unpickled checkpoint.
     *
     * @param description where it came from, e.g. {@code ['model']} or {@code (bare state dict)}
     * @param tensors key → tensor, in file order
     */
    public record Selection(String description, Map<String, TensorRef> tensors) {}

    /**
     * Picks the state dict from a checkpoint's top-level object.
     *
     * @param root the unpickled object
     * @param where the file, for messages
     * @return the selected state dict
     * @throws MalformedModelException if there is no such state dict, or it holds non-tensors
     */
    public Selection select(Object root, String where) throws MalformedModelException {
        if (!(root instanceof Map)) {
            throw new MalformedModelException(
                    where
                            + ": the checkpoint holds a "
                            + Unpickler.typeName(root)
                            + ", not a dict of weights (a pickled nn.Module or TorchScript module"
                            + " is not supported: save model.state_dict() instead)");
        }
        Map<?, ?> top = (Map<?, ?>) root;
        if (this == MODEL_EMA) {
            return entry(top, "model_ema", where);
        }
        if (top.containsKey("model")) {
            return entry(top, "model", where);
        }
        if (top.containsKey("state_dict")) {
            return entry(top, "state_dict", where);
        }
        if (!top.isEmpty() && top.values().stream().allMatch(v -> v instanceof TensorRef)) {
            return new Selection("(bare state dict)", tensors(top, "", where));
        }
        throw new MalformedModelException(
                where
                        + ": no weights found: expected a 'model' or 'state_dict' entry or a bare"
                        + " state dict; the file holds "
                        + describeEntries(top));
    }

    private Selection entry(Map<?, ?> top, String name, String where)
            throws MalformedModelException {
        Object v = top.get(name);
        if (v == null) {
            throw new MalformedModelException(
                    where + ": no '" + name + "' entry; the file holds " + describeEntries(top));
        }
        if (!(v instanceof Map)) {
            throw new MalformedModelException(
                    where
                            + ": entry '"
                            + name
                            + "' is a "
                            + Unpickler.typeName(v)
                            + ", not a state dict");
        }
        return new Selection("['" + name + "']", tensors((Map<?, ?>) v, name, where));
    }

    private static Map<String, TensorRef> tensors(Map<?, ?> dict, String name, String where)
            throws MalformedModelException {
        Map<String, TensorRef> out = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (!(e.getKey() instanceof String)) {
                problems.add(
                        "a key of type " + Unpickler.typeName(e.getKey()) + " (keys must be str)");
            } else if (!(e.getValue() instanceof TensorRef)) {
                problems.add(
                        "'"
                                + e.getKey()
                                + "' is a "
                                + Unpickler.typeName(e.getValue())
                                + ", not a tensor");
            } else {
                out.put((String) e.getKey(), (TensorRef) e.getValue());
            }
        }
        if (!problems.isEmpty()) {
            StringBuilder sb = new StringBuilder(where);
            sb.append(": ")
                    .append(name.isEmpty() ? "the state dict" : "entry '" + name + "'")
                    .append(" has ")
                    .append(problems.size())
                    .append(" entries that are not tensors:");
            for (String p : problems) {
                sb.append("\n  ").append(p);
            }
            throw new MalformedModelException(sb.toString());
        }
        return out;
    }

    /**
     * Lists a dict's entries with their types (never their contents), e.g. {@code ['model' (dict),
     * 'epoch' (int)]}.
     */
    static String describeEntries(Map<?, ?> top) {
        List<String> parts = new ArrayList<>();
        int n = 0;
        for (Map.Entry<?, ?> e : top.entrySet()) {
            if (++n > 20) {
                parts.add("... " + (top.size() - 20) + " more");
                break;
            }
            String k =
                    e.getKey() instanceof String
                            ? "'" + e.getKey() + "'"
                            : Unpickler.typeName(e.getKey());
            parts.add(k + " (" + Unpickler.typeName(e.getValue()) + ")");
        }
        return parts.toString();
    }
}
