package dev.vmamba.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.vmamba.core.io.Safetensors;
import java.awt.image.BufferedImage;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code vmamba classify}, {@code info}, {@code convert} and {@code run} on a {@code .pth}: the
 * January-2024 v0 micro checkpoint (legacy key names, {@code model} and {@code model_ema}) and the
 * bundled micro model.
 */
class ModelCommandsTest {

    @TempDir Path dir;

    private record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new VMambaCli());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    private Path bundled(String name) throws Exception {
        Path p = dir.resolve(name);
        try (InputStream in =
                getClass().getResourceAsStream("/dev/vmamba/models/bundled/" + name)) {
            Files.copy(in, p);
        }
        return p;
    }

    private Path legacyCheckpoint() throws Exception {
        Path p = dir.resolve("v0_micro_legacy_ckpt.pth");
        try (InputStream in = getClass().getResourceAsStream("/v0_micro_legacy_ckpt.pth")) {
            Files.copy(in, p);
        }
        return p;
    }

    private Path png(String name, int w, int h, int type) throws Exception {
        BufferedImage img = new BufferedImage(w, h, type);
        Random r = new Random(name.hashCode());
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, r.nextInt(200));
                if (img.getRaster().getNumBands() > 1) {
                    img.getRaster().setSample(x, y, 1, (x * 3) & 0xFF);
                    img.getRaster().setSample(x, y, 2, (y * 5) & 0xFF);
                }
            }
        }
        Path p = dir.resolve(name);
        ImageIO.write(img, name.endsWith(".jpg") ? "jpg" : "png", p.toFile());
        return p;
    }

    @Test
    void classifyPrintsTopKPerImageInBatchesAndReportsBadImages() throws Exception {
        Path config = bundled("v0_micro.yaml");
        Path weights = legacyCheckpoint();
        Path a = png("a.png", 150, 100, BufferedImage.TYPE_3BYTE_BGR);
        Path b = png("b.jpg", 80, 120, BufferedImage.TYPE_3BYTE_BGR);
        Path gray = png("gray.png", 90, 90, BufferedImage.TYPE_BYTE_GRAY);
        Path deep = png("deep.png", 40, 40, BufferedImage.TYPE_USHORT_GRAY);
        Path text = dir.resolve("notes.jpg");
        Files.writeString(text, "not an image");
        Result r =
                run(
                        "classify",
                        "--config",
                        config.toString(),
                        "--weights",
                        weights.toString(),
                        "--crop",
                        "64",
                        "--top",
                        "3",
                        "--batch-size",
                        "2",
                        a.toString(),
                        b.toString(),
                        text.toString(),
                        gray.toString(),
                        deep.toString());
        assertEquals(1, r.code(), r.err());
        for (Path p : new Path[] {a, b, gray}) {
            assertTrue(r.out().contains(p.toString()), r.out());
        }
        assertEquals(
                9,
                r.out()
                        .lines()
                        .filter(l -> l.matches("\\s+\\d\\.\\s+[0-9.]+%\\s+class_\\d"))
                        .count(),
                r.out());
        assertTrue(r.err().contains("notes.jpg is not an image"), r.err());
        assertTrue(r.err().contains("16 bits per channel"), r.err());
    }

    @Test
    void classifyWithoutWeightsUsesTheBundledModel() throws Exception {
        Path a = png("c.png", 64, 64, BufferedImage.TYPE_3BYTE_BGR);
        Result r = run("classify", "--crop", "64", a.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("bundled micro model"), r.out());
        assertTrue(r.out().contains("1. "), r.out());
    }

    @Test
    void classifyNeedsAConfigForUnknownFileNames() throws Exception {
        Path a = png("d.png", 64, 64, BufferedImage.TYPE_3BYTE_BGR);
        Result r = run("classify", "--weights", legacyCheckpoint().toString(), a.toString());
        assertEquals(UserErrors.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("not an official release file name"), r.err());
    }

    @Test
    void infoReproducesThePublishedNumbers() throws Exception {
        Result r = run("info", "vmamba-t");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("30,249,064 parameters (matches)"), r.out());
        assertTrue(r.out().contains("4.905609984 GFLOPs at 224x224 (matches)"), r.out());
        Result yaml = run("info", bundled("v0_micro.yaml").toString(), "--size", "64x96");
        assertEquals(0, yaml.code(), yaml.err());
        assertTrue(yaml.out().contains("2 x 3"), yaml.out());
        Result list = run("info");
        assertTrue(list.out().contains("vssm1_base_0229s_ckpt_epoch_225.pth"), list.out());
        Result bad = run("info", "vmamba-xxl");
        assertEquals(UserErrors.EXIT_USAGE, bad.code());
        assertTrue(bad.err().contains("unknown preset"), bad.err());
    }

    @Test
    void convertAndRunReproduceTheOfficialLogitsFromThePth() throws Exception {
        Path config = bundled("v0_micro.yaml");
        Path io = bundled("v0_micro_io.safetensors");
        Path pth = legacyCheckpoint();
        Path st = dir.resolve("converted.safetensors");
        Result c = run("convert", pth.toString(), st.toString(), "--config", config.toString());
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("keys mapped by rule 'legacy v0'"), c.out());
        assertTrue(c.out().contains("checked: every key and shape matches"), c.out());
        Result again = run("convert", pth.toString(), st.toString());
        assertEquals(UserErrors.EXIT_USAGE, again.code());

        // vmamba run on the .pth itself and on the converted file: official logits
        for (Path weights : new Path[] {pth, st}) {
            Result r =
                    run(
                            "run",
                            "--config",
                            config.toString(),
                            "--weights",
                            weights.toString(),
                            "--input",
                            io.toString());
            assertEquals(0, r.code(), weights + ": " + r.err());
        }
        // --ema selects model_ema, whose logits the fixture also records
        Path out = dir.resolve("ema_out.safetensors");
        run(
                "run",
                "--config",
                config.toString(),
                "--weights",
                pth.toString(),
                "--ema",
                "--input",
                io.toString(),
                "--output",
                out.toString());
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> got = Safetensors.read(out, m);
            Map<String, NDArray> ref = Safetensors.read(io, m);
            NDArray logits = got.get("logits__x_2x3x64x64");
            NDArray expected = ref.get("logits_ema__x_2x3x64x64");
            float e = logits.sub(expected).abs().max().getFloat();
            assertTrue(e <= 1e-6 + 2e-4 * expected.abs().max().getFloat(), "ema logits: " + e);
        }
    }
}
