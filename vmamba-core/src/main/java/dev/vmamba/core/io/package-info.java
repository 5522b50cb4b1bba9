/**
 * Tensor files: {@link dev.vmamba.core.io.Safetensors} reads and writes the safetensors format with
 * every header field checked against the file.
 */
package dev.vmamba.core.io;
