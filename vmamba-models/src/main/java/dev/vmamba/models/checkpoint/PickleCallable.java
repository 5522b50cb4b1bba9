package dev.vmamba.models.checkpoint;

import ai.djl.MalformedModelException;
import java.util.List;

/**
 * A Python callable named in a pickle that the reader evaluates itself, in Java, without running
 * any Python: {@code collections.OrderedDict}, {@code torch._utils._rebuild_tensor_v2} and a few
 * other builtins. Everything not on that short list becomes a {@link PickledObject} placeholder.
 */
@FunctionalInterface
interface PickleCallable {

    /**
     * Evaluates the call.
     *
     * @param args the positional arguments as read from the pickle
     * @return the value
     * @throws MalformedModelException if the arguments are not what the real callable accepts
     */
    Object call(List<Object> args) throws MalformedModelException;
}
