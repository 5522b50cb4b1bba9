/**
 * DJL integration: {@link dev.vmamba.models.zoo.VMambaModelZoo} (registered through {@code
 * ServiceLoader}) lists the released models; {@link dev.vmamba.models.zoo.VMambaBlockFactory} and
 * {@link dev.vmamba.models.zoo.VMambaTranslatorFactory} let {@code Criteria} and djl-serving load a
 * directory holding the official weights and config ({@link dev.vmamba.models.zoo.ModelDirectory});
 * {@link dev.vmamba.models.zoo.VMambaClassificationTranslator} applies the official evaluation
 * preprocessing and returns {@code Classifications}.
 */
package dev.vmamba.models.zoo;
