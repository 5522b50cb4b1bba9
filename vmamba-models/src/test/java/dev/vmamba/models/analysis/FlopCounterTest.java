package dev.vmamba.models.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmamba.core.config.OfficialConfigReader;
import dev.vmamba.core.config.VMambaConfig;
import dev.vmamba.core.testing.Fixtures;
import dev.vmamba.models.VMambaPreset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The FLOP counter reproduces the official numbers exactly: the nine released GFLOPs (spec §1.3)
 * and the micro models' counts from the golden generator's manifest.
 */
class FlopCounterTest {

    @ParameterizedTest
    @EnumSource(value = VMambaPreset.class, mode = EnumSource.Mode.EXCLUDE, names = "TEST")
    void reproducesTheReleasedGflops(VMambaPreset preset) {
        long expected = Math.round(preset.weights().gflops() * 1e9);
        assertEquals(expected, FlopCounter.count(preset.config(), 224, 224).total(), preset.id());
    }

    @ParameterizedTest
    @ValueSource(strings = {"v0_micro", "v2_micro", "v2v_micro"})
    void reproducesTheManifestCountsOfTheMicroModels(String id) throws Exception {
        VMambaConfig c = OfficialConfigReader.read(Fixtures.file("micro-configs/" + id + ".yaml"));
        assertEquals(
                Fixtures.caseById(id).get("flops_224").getAsLong(),
                FlopCounter.count(c, 224, 224).total());
    }

    @Test
    void einsumCountsAreRoundedLikeNumpysReport() {
        assertEquals(61_750, FlopCounter.einsum(61_741)); // 2·MACs 123482 prints as 1.235e+05
        assertEquals(500, FlopCounter.einsum(500));
        assertEquals(2, FlopCounter.einsum(2)); // tiny counts survive
    }

    @Test
    void countsScaleWithTheInputAndRejectTooSmallImages() {
        VMambaConfig c = VMambaPreset.V2V_TINY.config();
        FlopCounter.Count a = FlopCounter.count(c, 224, 224);
        FlopCounter.Count b = FlopCounter.count(c, 448, 448);
        assertTrue(b.total() > 3 * a.total() && b.total() < 5 * a.total());
        assertEquals(a.parts().size(), 2 + 4 + 3);
        assertThrows(IllegalArgumentException.class, () -> FlopCounter.count(c, 0, 224));
    }

    @Test
    void summaryMatchesThePresetContract() {
        ModelSummary s = ModelSummary.of(VMambaPreset.V2V_TINY.config(), 224, 224);
        assertEquals(30_249_064L, s.parameters());
        assertEquals(29_481_408L, s.backboneParameters());
        assertEquals(276, s.stateDictKeys());
        assertEquals(56, s.stages().get(0).height());
        assertEquals(7, s.stages().get(3).width());
        assertTrue(s.format().contains("4.90560998"), s.format());
    }
}
