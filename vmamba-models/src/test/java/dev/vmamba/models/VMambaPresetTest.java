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

    @ParameterizedTest
    @EnumSource(VMambaPreset.class)
    void aliasesAndReleaseFileNamesResolveToTheirPreset(VMambaPreset preset) {
        for (String alias : preset.aliases()) {
            assertSame(preset, VMambaPreset.of(alias), alias);
            assertSame(preset, VMambaPreset.of(alias.toUpperCase(java.util.Locale.ROOT)), alias);
        }
        if (preset.weights() != null) {
            String file = preset.weights().fileName();
            assertSame(preset, VMambaPreset.forCheckpointFile(file).orElseThrow(), file);
            assertSame(preset, VMambaPreset.forCheckpointFile("new_" + file).orElseThrow(), file);
        }
    }

    @Test
    void unknownCheckpointFilesAreNotGuessed() {
        assertTrue(VMambaPreset.forCheckpointFile("my_finetune.pth").isEmpty());
    }

    @Test
    void presetsMatchTheOfficialConfigFilesTheyAreNamedAfter() throws Exception {
        for (VMambaPreset p : VMambaPreset.values()) {
            for (String alias : p.aliases()) {
                if (!alias.startsWith("vmambav")) {
                    continue;
                }
                VMambaConfig official =
                        dev.vmamba.core.config.OfficialConfigReader.read(
                                dev.vmamba.core.testing.Fixtures.file(
                                        "official-configs/" + alias + ".yaml"));
                assertEquals(
                        VMamba.builder(official).build().stateDictShapes(),
                        VMamba.builder(p.config()).build().stateDictShapes(),
                        alias);
            }
        }
    }
}
