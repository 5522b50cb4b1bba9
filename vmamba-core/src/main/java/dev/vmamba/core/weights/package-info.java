/**
 * Loading state dicts into models: {@link dev.vmamba.core.weights.StateDictLoader} (strict by
 * default) and its {@link dev.vmamba.core.weights.LoadReport}.
 */
package dev.vmamba.core.weights;
