package dev.vmamba.core.config;

import dev.vmamba.core.nn.Activation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Reads the official classification config files ({@code classification/configs/vssm/*.yaml}) into
 * a {@link VMambaConfig}.
 *
 * <p>The official files list only what differs from the defaults of the official {@code config.py};
 * this reader starts from those defaults (spec Appendix A), merges {@code BASE} files first like
 * yacs does, and then applies the file. Like yacs, it rejects keys the official schema does not
 * have, naming the key and the closest known spelling; values of the wrong type or outside the
 * supported range are rejected naming the key. Sections other than {@code MODEL} (data, training,
 * augmentation) are accepted and ignored here.
 */
public final class OfficialConfigReader {

    private static final Set<String> TOP_LEVEL =
            Set.of(
                    "BASE",
                    "DATA",
                    "MODEL",
                    "TRAIN",
                    "AUG",
                    "TEST",
                    "ENABLE_AMP",
                    "AMP_ENABLE",
                    "AMP_OPT_LEVEL",
                    "OUTPUT",
                    "TAG",
                    "SAVE_FREQ",
                    "PRINT_FREQ",
                    "SEED",
                    "EVAL_MODE",
                    "THROUGHPUT_MODE",
                    "TRAINCOST_MODE",
                    "FUSED_LAYERNORM",
                    "LOCAL_RANK");

    private static final Set<String> MODEL_KEYS =
            Set.of(
                    "TYPE",
                    "NAME",
                    "PRETRAINED",
                    "RESUME",
                    "NUM_CLASSES",
                    "DROP_RATE",
                    "DROP_PATH_RATE",
                    "LABEL_SMOOTHING",
                    "MMCKPT",
                    "VSSM");

    private static final Set<String> VSSM_KEYS =
            Set.of(
                    "PATCH_SIZE",
                    "IN_CHANS",
                    "DEPTHS",
                    "EMBED_DIM",
                    "SSM_D_STATE",
                    "SSM_RATIO",
                    "SSM_RANK_RATIO",
                    "SSM_DT_RANK",
                    "SSM_ACT_LAYER",
                    "SSM_CONV",
                    "SSM_CONV_BIAS",
                    "SSM_DROP_RATE",
                    "SSM_INIT",
                    "SSM_FORWARDTYPE",
                    "MLP_RATIO",
                    "MLP_ACT_LAYER",
                    "MLP_DROP_RATE",
                    "PATCH_NORM",
                    "NORM_LAYER",
                    "DOWNSAMPLE",
                    "PATCHEMBED",
                    "POSEMBED",
                    "GMLP");

    private static final int MAX_BASE_DEPTH = 8;

    private OfficialConfigReader() {}

    /**
     * Reads a config file, resolving {@code BASE} entries relative to its folder.
     *
     * @param file the {@code .yaml} file
     * @return the model configuration
     * @throws IOException if a file cannot be read
     * @throws IllegalArgumentException for malformed YAML, unknown keys or bad values
     */
    public static VMambaConfig read(Path file) throws IOException {
        Map<String, Object> merged = new LinkedHashMap<>();
        mergeFile(file, merged, 0);
        return toConfig(merged, file.getFileName().toString());
    }

    /**
     * Parses config text that has no {@code BASE} entries.
     *
     * @param yaml the YAML text
     * @return the model configuration
     * @throws IllegalArgumentException for malformed YAML, unknown keys or bad values
     */
    public static VMambaConfig parse(String yaml) {
        Map<String, Object> doc = load(yaml, "<string>");
        List<String> bases = baseList(doc, "<string>");
        if (!bases.isEmpty()) {
            throw new IllegalArgumentException(
                    "BASE entries " + bases + " need a file location: use read(Path)");
        }
        Map<String, Object> merged = new LinkedHashMap<>();
        deepMerge(merged, doc);
        return toConfig(merged, "<string>");
    }

    private static void mergeFile(Path file, Map<String, Object> into, int depth)
            throws IOException {
        if (depth > MAX_BASE_DEPTH) {
            throw new IllegalArgumentException(
                    "BASE chain deeper than "
                            + MAX_BASE_DEPTH
                            + " files at "
                            + file
                            + " (a cycle?)");
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        Map<String, Object> doc = load(text, file.toString());
        for (String base : baseList(doc, file.toString())) {
            Path parent = file.toAbsolutePath().getParent();
            mergeFile(parent.resolve(base), into, depth + 1);
        }
        deepMerge(into, doc);
    }

    private static Map<String, Object> load(String text, String where) {
        LoadSettings settings =
                LoadSettings.builder()
                        .setLabel(where)
                        .setAllowDuplicateKeys(false)
                        .setMaxAliasesForCollections(16)
                        .setCodePointLimit(1 << 20)
                        .build();
        Object root;
        try {
            root = new Load(settings).loadFromString(text);
        } catch (YamlEngineException e) {
            throw new IllegalArgumentException(
                    "malformed YAML in " + where + ": " + e.getMessage(), e);
        }
        if (root == null) {
            return new LinkedHashMap<>();
        }
        if (!(root instanceof Map)) {
            throw new IllegalArgumentException(
                    where + ": the top level of a config must be a mapping, got " + typeName(root));
        }
        Map<String, Object> doc = stringKeys(root, "");
        for (String key : doc.keySet()) {
            checkKnown(key, TOP_LEVEL, "");
        }
        return doc;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> stringKeys(Object map, String path) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<Object, Object> e : ((Map<Object, Object>) map).entrySet()) {
            if (!(e.getKey() instanceof String)) {
                throw new IllegalArgumentException(
                        "config key " + path + e.getKey() + " is not a string");
            }
            Object v = e.getValue();
            String key = (String) e.getKey();
            out.put(key, v instanceof Map ? stringKeys(v, path + key + ".") : v);
        }
        return out;
    }

    private static List<String> baseList(Map<String, Object> doc, String where) {
        Object base = doc.remove("BASE");
        List<String> out = new ArrayList<>();
        if (base == null) {
            return out;
        }
        if (!(base instanceof List)) {
            throw new IllegalArgumentException(where + ": BASE must be a list of file names");
        }
        for (Object o : (List<?>) base) {
            if (!(o instanceof String)) {
                throw new IllegalArgumentException(where + ": BASE entries must be strings");
            }
            if (!((String) o).isEmpty()) {
                out.add((String) o);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void deepMerge(Map<String, Object> into, Map<String, Object> from) {
        for (Map.Entry<String, Object> e : from.entrySet()) {
            Object old = into.get(e.getKey());
            if (old instanceof Map && e.getValue() instanceof Map) {
                deepMerge((Map<String, Object>) old, (Map<String, Object>) e.getValue());
            } else {
                into.put(e.getKey(), e.getValue());
            }
        }
    }

    private static VMambaConfig toConfig(Map<String, Object> doc, String where) {
        Map<String, Object> model = section(doc, "MODEL", "");
        for (String key : model.keySet()) {
            checkKnown(key, MODEL_KEYS, "MODEL.");
        }
        Map<String, Object> vssm = section(model, "VSSM", "MODEL.");
        for (String key : vssm.keySet()) {
            checkKnown(key, VSSM_KEYS, "MODEL.VSSM.");
        }
        String type = get(model, "MODEL.", "TYPE", "vssm", OfficialConfigReader::asString);
        if (!type.equals("vssm")) {
            throw new IllegalArgumentException(
                    "MODEL.TYPE must be 'vssm' for a VMamba config, got '" + type + "'");
        }
        if (get(vssm, "MODEL.VSSM.", "POSEMBED", false, OfficialConfigReader::asBoolean)) {
            throw new UnsupportedOperationException(
                    "MODEL.VSSM.POSEMBED true is not supported (no released model uses it)");
        }
        if (get(vssm, "MODEL.VSSM.", "GMLP", false, OfficialConfigReader::asBoolean)) {
            throw new UnsupportedOperationException(
                    "MODEL.VSSM.GMLP true is not supported (no released model uses it)");
        }
        String v = "MODEL.VSSM.";
        try {
            return VMambaConfig.builder()
                    .name(
                            get(
                                    model,
                                    "MODEL.",
                                    "NAME",
                                    "vssm_tiny_224",
                                    OfficialConfigReader::asString))
                    .numClasses(
                            get(model, "MODEL.", "NUM_CLASSES", 1000, OfficialConfigReader::asInt))
                    .dropPathRate(
                            get(
                                    model,
                                    "MODEL.",
                                    "DROP_PATH_RATE",
                                    0.1,
                                    OfficialConfigReader::asDouble))
                    .patchSize(get(vssm, v, "PATCH_SIZE", 4, OfficialConfigReader::asInt))
                    .inChans(get(vssm, v, "IN_CHANS", 3, OfficialConfigReader::asInt))
                    .depths(
                            get(
                                    vssm,
                                    v,
                                    "DEPTHS",
                                    List.of(2, 2, 9, 2),
                                    OfficialConfigReader::asIntList))
                    .embedDim(get(vssm, v, "EMBED_DIM", 96, OfficialConfigReader::asInt))
                    .dState(get(vssm, v, "SSM_D_STATE", 16, OfficialConfigReader::asInt))
                    .ssmRatio(get(vssm, v, "SSM_RATIO", 2.0, OfficialConfigReader::asDouble))
                    .dtRank(
                            get(
                                    vssm,
                                    v,
                                    "SSM_DT_RANK",
                                    VMambaConfig.DT_RANK_AUTO,
                                    OfficialConfigReader::asDtRank))
                    .ssmAct(
                            get(
                                    vssm,
                                    v,
                                    "SSM_ACT_LAYER",
                                    Activation.SILU,
                                    o -> Activation.fromOfficialName(asString(o))))
                    .dConv(get(vssm, v, "SSM_CONV", 3, OfficialConfigReader::asInt))
                    .convBias(get(vssm, v, "SSM_CONV_BIAS", true, OfficialConfigReader::asBoolean))
                    .ssmDropRate(get(vssm, v, "SSM_DROP_RATE", 0.0, OfficialConfigReader::asDouble))
                    .ssmInit(
                            get(
                                    vssm,
                                    v,
                                    "SSM_INIT",
                                    SsmInit.V0,
                                    o -> SsmInit.fromOfficialName(asString(o))))
                    .forwardType(
                            get(vssm, v, "SSM_FORWARDTYPE", "v2", OfficialConfigReader::asString))
                    .mlpRatio(get(vssm, v, "MLP_RATIO", 4.0, OfficialConfigReader::asDouble))
                    .mlpAct(
                            get(
                                    vssm,
                                    v,
                                    "MLP_ACT_LAYER",
                                    Activation.GELU,
                                    o -> Activation.fromOfficialName(asString(o))))
                    .mlpDropRate(get(vssm, v, "MLP_DROP_RATE", 0.0, OfficialConfigReader::asDouble))
                    .patchNorm(get(vssm, v, "PATCH_NORM", true, OfficialConfigReader::asBoolean))
                    .normLayer(
                            get(
                                    vssm,
                                    v,
                                    "NORM_LAYER",
                                    NormLayer.LN,
                                    o -> NormLayer.fromOfficialName(asString(o))))
                    .downsample(
                            get(
                                    vssm,
                                    v,
                                    "DOWNSAMPLE",
                                    DownsampleVersion.V2,
                                    o -> DownsampleVersion.fromOfficialName(asString(o))))
                    .patchEmbed(
                            get(
                                    vssm,
                                    v,
                                    "PATCHEMBED",
                                    PatchEmbedVersion.V2,
                                    o -> PatchEmbedVersion.fromOfficialName(asString(o))))
                    .build();
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            String msg = where + ": " + e.getMessage();
            if (e instanceof UnsupportedOperationException) {
                throw new UnsupportedOperationException(msg, e);
            }
            throw new IllegalArgumentException(msg, e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(
            Map<String, Object> parent, String key, String path) {
        Object o = parent.get(key);
        if (o == null) {
            return new LinkedHashMap<>();
        }
        if (!(o instanceof Map)) {
            throw new IllegalArgumentException(
                    path + key + " must be a mapping, got " + typeName(o));
        }
        return (Map<String, Object>) o;
    }

    private static <T> T get(
            Map<String, Object> map,
            String path,
            String key,
            T fallback,
            Function<Object, T> conv) {
        if (!map.containsKey(key)) {
            return fallback;
        }
        Object raw = map.get(key);
        try {
            return conv.apply(raw);
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new IllegalArgumentException(
                    path + key + ": " + e.getMessage() + " (value: " + raw + ")", e);
        }
    }

    private static void checkKnown(String key, Set<String> known, String path) {
        if (known.contains(key)) {
            return;
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = editDistance(key.toUpperCase(Locale.ROOT), k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        String hint = bestDistance <= 3 ? "; did you mean " + path + best + "?" : "";
        throw new IllegalArgumentException(
                "unknown config key "
                        + path
                        + key
                        + hint
                        + " (the official schema has no such key)");
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static String typeName(Object o) {
        return o == null ? "null" : o.getClass().getSimpleName();
    }

    private static String asString(Object o) {
        if (!(o instanceof String)) {
            throw new IllegalArgumentException("expected a string, got " + typeName(o));
        }
        return (String) o;
    }

    private static boolean asBoolean(Object o) {
        if (!(o instanceof Boolean)) {
            throw new IllegalArgumentException("expected true or false, got " + typeName(o));
        }
        return (Boolean) o;
    }

    private static int asInt(Object o) {
        if (o instanceof Integer || o instanceof Long) {
            long v = ((Number) o).longValue();
            if (v != (int) v) {
                throw new IllegalArgumentException("integer out of range");
            }
            return (int) v;
        }
        throw new IllegalArgumentException("expected an integer, got " + typeName(o));
    }

    private static double asDouble(Object o) {
        if (o instanceof Number) {
            return ((Number) o).doubleValue();
        }
        throw new IllegalArgumentException("expected a number, got " + typeName(o));
    }

    private static List<Integer> asIntList(Object o) {
        if (!(o instanceof List)) {
            throw new IllegalArgumentException("expected a list of integers, got " + typeName(o));
        }
        List<Integer> out = new ArrayList<>();
        for (Object e : (List<?>) o) {
            out.add(asInt(e));
        }
        return out;
    }

    private static int asDtRank(Object o) {
        if ("auto".equals(o)) {
            return VMambaConfig.DT_RANK_AUTO;
        }
        if (o instanceof String) {
            throw new IllegalArgumentException("expected \"auto\" or an integer");
        }
        return asInt(o);
    }
}
