package dev.vmamba.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmamba.core.VMamba;
import dev.vmamba.core.config.VMambaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The contract every preset keeps: it builds, with exactly the official parameter count. */
class VMambaPresetTest {

    @ParameterizedTest
    @EnumSource(value = VMambaPreset.class, mode = EnumSource.Mode.EXCLUDE, names = "TEST")
    void buildsWithTheOfficialParameterCount(VMambaPreset preset) {
        VMamba model = VMamba.builder(preset.config()).build();
        assertEquals(preset.weights().parameterCount(), model.parameterCount(), preset.id());
    }

    @ParameterizedTest
    @EnumSource(VMambaPreset.class)
    void everyPresetBuildsAndExposesFourStages(VMambaPreset preset) {
        VMambaConfig c = preset.config();
        VMamba model = VMamba.builder(c).build();
        assertEquals(4, model.featureInfo().size());
        assertEquals(32, model.featureInfo().get(3).reduction());
        assertTrue(model.parameterCount() > 0);
        assertSame(preset, VMambaPreset.of(preset.id()));
    }

    @Test
    void unknownNamesAreRejectedWithTheList() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> VMambaPreset.of("vmamba-xl"));
        assertTrue(e.getMessage().contains("vmamba-t-v0"), e.getMessage());
    }
}
