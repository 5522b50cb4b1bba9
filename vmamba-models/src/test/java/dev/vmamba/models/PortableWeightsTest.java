package dev.vmamba.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vmamba.core.VMamba;
import dev.vmamba.core.config.OfficialConfigReader;
import dev.vmamba.core.testing.Fixtures;
import dev.vmamba.core.weights.StateDictLoader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The portable micro case: weights regenerated in Java, bit for bit, from the SplitMix64 recipe the
 * golden generator published (every tensor's sha256 must match), then the official outputs for
 * them.
 */
class PortableWeightsTest {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    /** FNV-1a, 64 bit, over the key's UTF-8 bytes. */
    static long fnv1a64(String key) {
        long h = 0xCBF29CE484222325L;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001B3L;
        }
        return h;
    }

    /** The recipe's values for one tensor, as little-endian float32 bytes. */
    static ByteBuffer generate(String key, long seed, long count, double center, double scale) {
        ByteBuffer out = ByteBuffer.allocate((int) count * 4).order(ByteOrder.LITTLE_ENDIAN);
        long state = fnv1a64(key) ^ seed;
        for (long i = 0; i < count; i++) {
            state += GOLDEN_GAMMA;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            double u = (z >>> 11) * 0x1.0p-53;
            out.putFloat((float) (center + scale * (2 * u - 1)));
        }
        out.flip();
        return out;
    }

    @Test
    void regeneratedWeightsMatchTheRecipeAndTheOfficialOutputs() throws Exception {
        JsonObject recipe =
                JsonParser.parseString(
                                Files.readString(
                                        Fixtures.file(
                                                "models/v2v_micro_portable_weights_recipe.json")))
                        .getAsJsonObject();
        long seed = recipe.get("global_seed").getAsLong();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        JsonObject c = Fixtures.caseById("v2v_micro_portable");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> sd = new LinkedHashMap<>();
            for (JsonElement e : recipe.getAsJsonArray("tensors")) {
                JsonObject t = e.getAsJsonObject();
                String key = t.get("key").getAsString();
                List<JsonElement> dims = t.getAsJsonArray("shape").asList();
                long[] shape = dims.stream().mapToLong(JsonElement::getAsLong).toArray();
                Shape s = new Shape(shape);
                ByteBuffer values =
                        generate(
                                key,
                                seed,
                                s.size(),
                                t.get("center").getAsDouble(),
                                t.get("scale").getAsDouble());
                byte[] bytes = new byte[values.remaining()];
                values.duplicate().get(bytes);
                assertEquals(
                        t.get("sha256").getAsString(),
                        HexFormat.of().formatHex(sha.digest(bytes)),
                        "sha256 of " + key);
                sd.put(key, m.create(values.asFloatBuffer(), s));
            }
            VMamba model =
                    VMamba.builder(
                                    OfficialConfigReader.read(
                                            Fixtures.file("micro-configs/v2v_micro_portable.yaml")))
                            .outNorms(0, 1, 2, 3)
                            .build();
            StateDictLoader.load(model, sd, m, true);
            Map<String, NDArray> io = Fixtures.load("models/v2v_micro_portable_io.safetensors", m);
            for (JsonElement in : c.getAsJsonArray("inputs")) {
                String name = in.getAsString();
                NDArray x = io.get(name);
                Fixtures.assertWithinManifest(
                        c, "logits__" + name, model.forward(x), io.get("logits__" + name));
                List<NDArray> feats = model.forwardIntermediates(x);
                for (int i = 0; i < 4; i++) {
                    String k = "feat" + i + "__" + name;
                    Fixtures.assertWithinManifest(c, k, feats.get(i), io.get(k));
                }
            }
        }
    }
}
