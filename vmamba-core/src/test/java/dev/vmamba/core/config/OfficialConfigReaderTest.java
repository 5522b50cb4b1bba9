package dev.vmamba.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmamba.core.VMamba;
import dev.vmamba.core.scan.ScanMode;
import dev.vmamba.core.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The nine official release configs and the micro configs read into the right architectures. */
class OfficialConfigReaderTest {

    /** File, family, embed, depths, exact parameter count of the official model (spec §1.3). */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "vmambav0_tiny_224, V0, 96, 2-2-9-2, 22893448",
        "vmambav0_small_224, V0, 96, 2-2-27-2, 44417416",
        "vmambav0_base_224, V0, 128, 2-2-27-2, 76254056",
        "vmambav2_tiny_224, V2, 96, 2-2-5-2, 30705832",
        "vmambav2_small_224, V2, 96, 2-2-15-2, 50147752",
        "vmambav2_base_224, V2, 128, 2-2-15-2, 88557800",
        "vmambav2v_tiny_224, V2V, 96, 2-2-8-2, 30249064",
        "vmambav2v_small_224, V2V, 96, 2-2-20-2, 49012840",
        "vmambav2v_base_224, V2V, 128, 2-2-20-2, 86614504",
    })
    void officialReleaseConfigs(
            String file, ModelFamily family, int embed, String depths, long params)
            throws Exception {
        VMambaConfig c =
                OfficialConfigReader.read(Fixtures.file("official-configs/" + file + ".yaml"));
        assertEquals(embed, c.embedDim());
        assertEquals(parseDepths(depths), c.depths());
        assertEquals(1000, c.numClasses());
        assertEquals(params, VMamba.builder(c).build().parameterCount());
        VMambaConfig familyBase = family.base().build();
        assertEquals(familyBase.dState(), c.dState());
        assertEquals(familyBase.ssmRatio(), c.ssmRatio());
        assertEquals(familyBase.mlpRatio(), c.mlpRatio());
        assertEquals(familyBase.downsample(), c.downsample());
        assertEquals(familyBase.patchEmbed(), c.patchEmbed());
        assertEquals(familyBase.normLayer(), c.normLayer());
        assertTrue(familyBase.forwardType().sameFunction(c.forwardType()));
        assertEquals(familyBase.effectiveConvBias(), c.effectiveConvBias());
    }

    private static List<Integer> parseDepths(String s) {
        return java.util.Arrays.stream(s.split("-")).map(Integer::valueOf).toList();
    }

    @ParameterizedTest
    @CsvSource({"v0_micro, 16, 10", "v2_micro, 16, 10", "v2v_micro, 16, 10"})
    void microConfigs(String file, int embed, int classes) throws Exception {
        VMambaConfig c =
                OfficialConfigReader.read(Fixtures.file("micro-configs/" + file + ".yaml"));
        assertEquals(embed, c.embedDim());
        assertEquals(classes, c.numClasses());
        assertEquals(List.of(1, 1, 2, 1), c.depths());
        assertEquals(
                Fixtures.caseById(file).get("param_count").getAsLong(),
                VMamba.builder(c).build().parameterCount());
    }

    @Test
    void defaultsComeFromTheOfficialConfigPy() {
        VMambaConfig c =
                OfficialConfigReader.parse("MODEL:\n  VSSM:\n    SSM_FORWARDTYPE: v05_noz\n");
        assertEquals(96, c.embedDim());
        assertEquals(List.of(2, 2, 9, 2), c.depths());
        assertEquals(16, c.dState());
        assertEquals(DownsampleVersion.V2, c.downsample());
        assertEquals(PatchEmbedVersion.V2, c.patchEmbed());
        assertEquals(NormLayer.LN, c.normLayer());
        assertEquals(0.1, c.dropPathRate());
        assertEquals(VMambaConfig.DT_RANK_AUTO, c.dtRankOverride());
        assertEquals(6, c.dtRank(0));
    }

    @Test
    void theOfficialDefaultForwardTypeIsRejectedWithAnExplanation() {
        UnsupportedOperationException e =
                assertThrows(
                        UnsupportedOperationException.class,
                        () -> OfficialConfigReader.parse("MODEL:\n  NAME: x\n"));
        assertTrue(e.getMessage().contains("'v2'"), e.getMessage());
        assertTrue(e.getMessage().contains("v05_noz"), e.getMessage());
    }

    @Test
    void typosAreRejectedWithASuggestion() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                OfficialConfigReader.parse(
                                        "MODEL:\n  VSSM:\n    DEPHTS: [2, 2, 9, 2]\n"));
        assertTrue(e.getMessage().contains("MODEL.VSSM.DEPHTS"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean MODEL.VSSM.DEPTHS"), e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> OfficialConfigReader.parse("MODLE:\n  NAME: x\n"));
        assertTrue(e.getMessage().contains("did you mean MODEL"), e.getMessage());
    }

    @Test
    void wrongTypesAndValuesNameTheKey() {
        String base = "MODEL:\n  VSSM:\n    SSM_FORWARDTYPE: v05_noz\n";
        assertMessage(base + "    EMBED_DIM: \"96\"\n", "MODEL.VSSM.EMBED_DIM");
        assertMessage(base + "    DEPTHS: 4\n", "MODEL.VSSM.DEPTHS");
        assertMessage(base + "    DEPTHS: [2, 0, 2, 2]\n", "MODEL.VSSM.DEPTHS");
        assertMessage(base + "    NORM_LAYER: ln3d\n", "MODEL.VSSM.NORM_LAYER");
        assertMessage(base + "    SSM_ACT_LAYER: swish\n", "MODEL.VSSM.SSM_ACT_LAYER");
        assertMessage(base + "    SSM_DT_RANK: big\n", "MODEL.VSSM.SSM_DT_RANK");
        assertMessage(base + "    SSM_CONV: 4\n", "MODEL.VSSM.SSM_CONV");
        assertMessage(base + "    SSM_D_STATE: 0\n", "MODEL.VSSM.SSM_D_STATE");
        assertMessage(base + "    PATCH_SIZE: 3\n", "MODEL.VSSM.PATCH_SIZE");
        assertMessage("MODEL:\n  TYPE: swin\n", "MODEL.TYPE");
        assertMessage(
                "MODEL:\n  DROP_PATH_RATE: 1.5\n  VSSM:\n    SSM_FORWARDTYPE: v05_noz\n",
                "MODEL.DROP_PATH_RATE");
        assertMessage("MODEL: [1, 2]\n", "MODEL must be a mapping");
        assertMessage("MODEL:\n  NAME: [unclosed\n", "malformed YAML");
        assertMessage("MODEL:\n  VSSM:\n    SSM_FORWARDTYPE: v9\n", "unknown forward_type");
    }

    @Test
    void unsupportedOfficialOptionsAreRefusedNamingTheKey() {
        String base = "MODEL:\n  VSSM:\n    SSM_FORWARDTYPE: v05_noz\n";
        assertUnsupported(base + "    NORM_LAYER: bn\n", "NORM_LAYER");
        assertUnsupported(base + "    POSEMBED: true\n", "POSEMBED");
        assertUnsupported(base + "    GMLP: true\n", "GMLP");
        assertUnsupported("MODEL:\n  VSSM:\n    SSM_FORWARDTYPE: xv1a\n", "xv1a");
        assertUnsupported("MODEL:\n  VSSM:\n    SSM_FORWARDTYPE: v05_ondwconv3_noz\n", "dwconv3");
        assertMessage(
                "MODEL:\n  VSSM:\n    SSM_FORWARDTYPE: v0\n    NORM_LAYER: ln2d\n",
                "requires NORM_LAYER 'ln'");
    }

    @Test
    void baseFilesAreMergedFirst(@TempDir Path dir) throws Exception {
        Files.writeString(
                dir.resolve("base.yaml"),
                "MODEL:\n  NUM_CLASSES: 7\n  VSSM:\n    EMBED_DIM: 32\n    SSM_FORWARDTYPE: v05_noz\n");
        Files.writeString(
                dir.resolve("child.yaml"),
                "BASE: ['base.yaml']\nMODEL:\n  VSSM:\n    EMBED_DIM: 64\n");
        VMambaConfig c = OfficialConfigReader.read(dir.resolve("child.yaml"));
        assertEquals(64, c.embedDim());
        assertEquals(7, c.numClasses());
        Files.writeString(dir.resolve("loop.yaml"), "BASE: ['loop.yaml']\n");
        assertThrows(
                IllegalArgumentException.class,
                () -> OfficialConfigReader.read(dir.resolve("loop.yaml")));
    }

    @Test
    void otherSectionsAreAcceptedAndIgnored() {
        VMambaConfig c =
                OfficialConfigReader.parse(
                        "DATA:\n  BATCH_SIZE: 64\nTRAIN:\n  EPOCHS: 10\nMODEL:\n  VSSM:\n    SSM_FORWARDTYPE: v3_noz\n");
        assertFalse(c.forwardType().gated());
    }

    @ParameterizedTest
    @CsvSource({
        "v0, V0, CROSS2D, true, LAYER_NORM",
        "v0seq, V0, CROSS2D, true, LAYER_NORM",
        "v05_noz, V2, CROSS2D, false, LAYER_NORM",
        "v3_noz, V2, CROSS2D, false, LAYER_NORM",
        "v04, V2, CROSS2D, true, LAYER_NORM",
        "v051d_noz, V2, UNIDI, false, LAYER_NORM",
        "v052d, V2, BIDI, true, LAYER_NORM",
        "v05_onnone, V2, CROSS2D, true, NONE",
        "v05_onsigmoid_noz, V2, CROSS2D, false, SIGMOID",
    })
    void forwardTypesDecode(
            String spelling, ForwardType.Kind kind, ScanMode mode, boolean gated, OutNorm norm) {
        ForwardType t = ForwardType.parse(spelling);
        assertEquals(kind, t.kind());
        assertEquals(mode, t.scanMode());
        assertEquals(gated, t.gated());
        assertEquals(norm, t.outNorm());
        assertEquals(spelling, t.spelling());
    }

    @Test
    void suffixesDecode() {
        assertFalse(ForwardType.parse("v05_nozact").gateActivated());
        assertTrue(ForwardType.parse("v05_oact").outActivation());
        assertTrue(ForwardType.parse("v05_noz").sameFunction(ForwardType.parse("v3_noz")));
        assertFalse(ForwardType.parse("v05_noz").sameFunction(ForwardType.parse("v05")));
    }

    private static void assertMessage(String yaml, String fragment) {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> OfficialConfigReader.parse(yaml));
        assertTrue(
                e.getMessage().contains(fragment), "'" + fragment + "' not in: " + e.getMessage());
    }

    private static void assertUnsupported(String yaml, String fragment) {
        UnsupportedOperationException e =
                assertThrows(
                        UnsupportedOperationException.class,
                        () -> OfficialConfigReader.parse(yaml));
        assertTrue(
                e.getMessage().contains(fragment), "'" + fragment + "' not in: " + e.getMessage());
    }
}
