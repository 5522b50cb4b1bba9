package dev.vmamba.models.checkpoint;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps the state-dict key spellings the official code has used over time onto the current ones
 * (spec §7.1, §7.4), as a table of rules. The mapping looks only at key names and tensor shapes, so
 * it works the same for every file format and needs no model:
 *
 * <ol>
 *   <li>wrapper prefixes: {@code module.} (DistributedDataParallel) on every key is removed; when
 *       keys carry {@code backbone.} (mmdet/mmseg checkpoints), only those are kept, without the
 *       prefix, and the others (neck, heads) are reported as dropped;
 *   <li>the January-2024 v0 names ({@code patch_embed.proj/norm}, {@code ln_1}, {@code
 *       self_attention}, top-level {@code norm}/{@code head});
 *   <li>the 2025 single-file {@code vmamba.py} names ({@code op.x_proj.weight (4·(R+2N), D)} and
 *       {@code op.dt_projs.weight (4·D, R)} reshaped to the stacked 3-D parameters; v1 downsampling
 *       as {@code downsample.1} (norm) and {@code downsample.2} (reduction));
 *   <li>{@code Linear2d} weights saved as 4-D {@code (out, in, 1, 1)} convolutions become 2-D.
 * </ol>
 *
 * Two source keys that would land on the same target are an error listing every collision.
 */
public final class OfficialKeyMapping {

    /** How a rule decides whether it applies to a key it matched. */
    @FunctionalInterface
    private interface Condition {
        boolean test(Matcher m, Shape shape, Map<String, Shape> all);
    }

    /** How a rule changes the tensor's shape (null result: not applicable). */
    @FunctionalInterface
    private interface Reshape {
        Shape apply(Shape shape);
    }

    private record Rule(
            String name,
            Pattern pattern,
            String replacement,
            Condition condition,
            Reshape reshape) {

        Rule(String name, String regex, String replacement) {
            this(name, Pattern.compile(regex), replacement, (m, s, all) -> true, null);
        }
    }

    private static final String BLOCK = "(layers\\.\\d+\\.blocks\\.\\d+)";

    /** The renaming table, applied in order; each rule at most once per key. */
    private static final List<Rule> RULES =
            List.of(
                    // January-2024 v0 names (VSSLayer/VSSBlock, PatchEmbed2D)
                    new Rule("legacy v0", "^patch_embed\\.proj\\.", "patch_embed.0."),
                    new Rule("legacy v0", "^patch_embed\\.norm\\.", "patch_embed.2."),
                    new Rule("legacy v0", "^" + BLOCK + "\\.ln_1\\.", "$1.norm."),
                    new Rule("legacy v0", "^" + BLOCK + "\\.self_attention\\.", "$1.op."),
                    new Rule("legacy v0", "^norm\\.", "classifier.norm."),
                    new Rule("legacy v0", "^head\\.", "classifier.head."),
                    // 2025 single-file vmamba.py names
                    new Rule(
                            "single-file",
                            Pattern.compile("^" + BLOCK + "\\.op\\.x_proj\\.weight$"),
                            "$1.op.x_proj_weight",
                            (m, s, all) -> s.dimension() == 2 && s.get(0) % 4 == 0,
                            s -> new Shape(4, s.get(0) / 4, s.get(1))),
                    new Rule(
                            "single-file",
                            Pattern.compile("^" + BLOCK + "\\.op\\.dt_projs\\.weight$"),
                            "$1.op.dt_projs_weight",
                            (m, s, all) -> s.dimension() == 2 && s.get(0) % 4 == 0,
                            s -> new Shape(4, s.get(0) / 4, s.get(1))),
                    new Rule(
                            "single-file",
                            Pattern.compile("^(layers\\.\\d+\\.downsample)\\.1\\.(weight|bias)$"),
                            "$1.norm.$2",
                            OfficialKeyMapping::isV1Downsample,
                            null),
                    new Rule(
                            "single-file",
                            Pattern.compile("^(layers\\.\\d+\\.downsample)\\.2\\.weight$"),
                            "$1.reduction.weight",
                            OfficialKeyMapping::isV1Downsample,
                            null),
                    // Linear2d (1x1 conv) weights stored 4-D
                    new Rule(
                            "Linear2d",
                            Pattern.compile(
                                    "^(.*\\.)?(in_proj|out_proj|fc1|fc2|reduction)\\.weight$"),
                            "$0",
                            (m, s, all) -> s.dimension() == 4 && s.get(2) == 1 && s.get(3) == 1,
                            s -> new Shape(s.get(0), s.get(1))));

    /** In the single-file code, v1 downsampling has a LayerNorm at index 1 (1-D weight). */
    private static boolean isV1Downsample(Matcher m, Shape shape, Map<String, Shape> all) {
        Shape norm = all.get(m.group(1) + ".1.weight");
        Shape linear = all.get(m.group(1) + ".2.weight");
        return norm != null && norm.dimension() == 1 && linear != null && linear.dimension() == 2;
    }

    private OfficialKeyMapping() {}

    /**
     * One source key and where it goes.
     *
     * @param source the key in the file
     * @param target the current official key
     * @param sourceShape the shape in the file
     * @param targetShape the shape after any reshape
     * @param rules the rules that applied, empty when the key was already current
     */
    public record Mapped(
            String source,
            String target,
            Shape sourceShape,
            Shape targetShape,
            List<String> rules) {

        public Mapped {
            rules = List.copyOf(rules);
        }

        /**
         * @return whether the tensor must be reshaped
         */
        public boolean reshaped() {
            return !sourceShape.equals(targetShape);
        }
    }

    /**
     * The outcome of mapping a state dict's keys.
     *
     * @param mapped every kept key, in file order
     * @param dropped keys left out (e.g. mmdet necks and heads), with the reason
     */
    public record Result(List<Mapped> mapped, Map<String, String> dropped) {

        public Result {
            mapped = List.copyOf(mapped);
            dropped = Collections.unmodifiableMap(new LinkedHashMap<>(dropped));
        }

        /**
         * @return how many keys were renamed or reshaped
         */
        public long changedCount() {
            return mapped.stream().filter(m -> !m.rules().isEmpty()).count();
        }

        /**
         * @return a one-line summary such as {@code 36 keys renamed (legacy v0), 2 dropped}
         */
        public String summary() {
            Map<String, Integer> byRule = new LinkedHashMap<>();
            for (Mapped m : mapped) {
                for (String r : new java.util.LinkedHashSet<>(m.rules())) {
                    byRule.merge(r, 1, Integer::sum);
                }
            }
            List<String> parts = new ArrayList<>();
            byRule.forEach((r, n) -> parts.add(n + " keys mapped by rule '" + r + "'"));
            if (!dropped.isEmpty()) {
                parts.add(dropped.size() + " keys dropped");
            }
            return parts.isEmpty() ? "all keys already current" : String.join(", ", parts);
        }
    }

    /**
     * Maps a state dict's keys.
     *
     * @param shapes key → shape, in file order
     * @param where the file, for messages
     * @return the mapping
     * @throws MalformedModelException if two keys would map to the same target
     */
    public static Result map(Map<String, Shape> shapes, String where)
            throws MalformedModelException {
        Map<String, String> dropped = new LinkedHashMap<>();
        Map<String, String> origin = new LinkedHashMap<>();
        Map<String, Shape> stripped = stripPrefixes(shapes, dropped, origin);
        List<Mapped> out = new ArrayList<>();
        Map<String, List<String>> byTarget = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : stripped.entrySet()) {
            String source = origin.get(e.getKey());
            String key = e.getKey();
            Shape shape = e.getValue();
            List<String> applied = new ArrayList<>();
            if (!key.equals(source)) {
                applied.add("prefix");
            }
            for (Rule r : RULES) {
                Matcher m = r.pattern.matcher(key);
                if (!m.find() || !r.condition.test(m, shape, stripped)) {
                    continue;
                }
                shape = r.reshape == null ? shape : r.reshape.apply(shape);
                key = m.replaceFirst(r.replacement);
                applied.add(r.name);
            }
            out.add(new Mapped(source, key, e.getValue(), shape, applied));
            byTarget.computeIfAbsent(key, k -> new ArrayList<>()).add(source);
        }
        List<String> collisions = new ArrayList<>();
        byTarget.forEach(
                (target, sources) -> {
                    if (sources.size() > 1) {
                        collisions.add(target + " <- " + sources);
                    }
                });
        if (!collisions.isEmpty()) {
            throw new MalformedModelException(
                    where
                            + ": keys of different naming eras collide after renaming:\n  "
                            + String.join("\n  ", collisions));
        }
        return new Result(out, dropped);
    }

    /** Removes wrapper prefixes; {@code origin} receives stripped key → original key. */
    private static Map<String, Shape> stripPrefixes(
            Map<String, Shape> shapes, Map<String, String> dropped, Map<String, String> origin) {
        boolean ddp =
                !shapes.isEmpty()
                        && shapes.keySet().stream().allMatch(k -> k.startsWith("module."));
        boolean backbone =
                shapes.keySet().stream()
                        .anyMatch(
                                k ->
                                        (ddp ? k.substring("module.".length()) : k)
                                                .startsWith("backbone."));
        Map<String, Shape> out = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
            String k = ddp ? e.getKey().substring("module.".length()) : e.getKey();
            if (backbone) {
                if (!k.startsWith("backbone.")) {
                    dropped.put(e.getKey(), "not part of the backbone");
                    continue;
                }
                k = k.substring("backbone.".length());
            }
            out.put(k, e.getValue());
            origin.put(k, e.getKey());
        }
        return out;
    }
}
