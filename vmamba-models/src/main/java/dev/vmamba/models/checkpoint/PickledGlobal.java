package dev.vmamba.models.checkpoint;

import java.util.Objects;

/**
 * A reference to a Python class or function named in a pickle ({@code GLOBAL module name}) that the
 * reader does not interpret. It is never resolved or called: it only records the name, so that the
 * rest of the file can still be read and error messages can say what was there.
 *
 * @param module the Python module, e.g. {@code yacs.config}
 * @param name the qualified name inside the module, e.g. {@code CfgNode}
 */
public record PickledGlobal(String module, String name) {

    public PickledGlobal {
        Objects.requireNonNull(module, "module");
        Objects.requireNonNull(name, "name");
    }

    /**
     * @return {@code module.name}
     */
    public String qualifiedName() {
        return module + "." + name;
    }

    @Override
    public String toString() {
        return qualifiedName();
    }
}
