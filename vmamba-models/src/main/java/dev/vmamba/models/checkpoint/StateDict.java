package dev.vmamba.models.checkpoint;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Weights read from a file under their current official keys, with a record of how they were found
 * and renamed.
 *
 * @param tensors current official key → tensor (in file order)
 * @param source where the weights came from, e.g. {@code vssm_tiny.pth['model']}
 * @param mapping how the file's keys were mapped onto the current names
 */
public record StateDict(
        Map<String, NDArray> tensors, String source, OfficialKeyMapping.Result mapping) {

    public StateDict {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }
}
