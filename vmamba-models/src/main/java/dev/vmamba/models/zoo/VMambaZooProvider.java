package dev.vmamba.models.zoo;

import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooProvider;

/** Makes the {@link VMambaModelZoo} known to DJL ({@code META-INF/services}). */
public final class VMambaZooProvider implements ZooProvider {

    @Override
    public ModelZoo getModelZoo() {
        return new VMambaModelZoo();
    }
}
