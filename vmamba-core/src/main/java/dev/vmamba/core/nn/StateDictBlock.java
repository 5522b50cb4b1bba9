package dev.vmamba.core.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A DJL block whose parameters and children carry the names of the official PyTorch modules, so
 * that a checkpoint's state dict maps onto it by walking the tree instead of parsing DJL's
 * flattened parameter names.
 *
 * <p>Every parameter declares its shape when it is registered (the configuration fixes all of
 * them), which makes parameter counting, shape checks on loading and random initialisation possible
 * before any input has been seen. DJL's own {@code Parameter} refuses {@code setArray} once a shape
 * is set, so the declared shape is kept here and handed to DJL only when the block is randomly
 * initialised.
 */
public abstract class StateDictBlock extends AbstractBlock {

    private final LinkedHashMap<String, Parameter> ownParameters = new LinkedHashMap<>();
    private final LinkedHashMap<String, StateDictBlock> ownModules = new LinkedHashMap<>();
    private final Map<Parameter, Shape> declaredShapes = new IdentityHashMap<>();

    /**
     * Registers a parameter under its official (PyTorch) name.
     *
     * @param name the state-dict name relative to this module, e.g. {@code "weight"}
     * @param type DJL's parameter kind (decides weight decay and default initialisation)
     * @param shape the shape the official module gives this parameter
     * @param initializer the official initialisation (spec §6)
     * @return the registered parameter
     */
    protected final Parameter registerParameter(
            String name, Parameter.Type type, Shape shape, Initializer initializer) {
        checkName(name);
        Parameter parameter =
                Parameter.builder()
                        .setName(name)
                        .setType(type)
                        .optInitializer(Objects.requireNonNull(initializer, "initializer"))
                        .build();
        addParameter(parameter);
        ownParameters.put(name, parameter);
        declaredShapes.put(parameter, shape);
        return parameter;
    }

    /**
     * Registers a child module under its official name. Dotted names ({@code "layers.0"}) stand for
     * the official {@code nn.ModuleList}/{@code nn.Sequential} indices.
     *
     * @param name the state-dict prefix of the child, relative to this module
     * @param module the child block
     * @param <B> the child's type
     * @return the child
     */
    protected final <B extends StateDictBlock> B registerModule(String name, B module) {
        checkName(name);
        addChildBlock(name, module);
        ownModules.put(name, module);
        return module;
    }

    private void checkName(String name) {
        if (name.isEmpty() || ownParameters.containsKey(name) || ownModules.containsKey(name)) {
            throw new IllegalStateException("duplicate or empty state-dict name: '" + name + "'");
        }
    }

    /**
     * Returns every parameter of this module and its children under its full official key, in
     * registration order (the official state dict's order for the blocks that mirror it).
     *
     * @return an ordered, unmodifiable map from state-dict key to parameter
     */
    public final Map<String, Parameter> stateDict() {
        LinkedHashMap<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return Collections.unmodifiableMap(out);
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        ownParameters.forEach((name, p) -> out.put(prefix + name, p));
        ownModules.forEach((name, m) -> m.collect(prefix + name + ".", out));
    }

    /**
     * Returns the declared shape of every parameter under its full official key.
     *
     * @return an ordered map from state-dict key to shape
     */
    public final Map<String, Shape> stateDictShapes() {
        LinkedHashMap<String, Shape> out = new LinkedHashMap<>();
        stateDict().forEach((key, p) -> out.put(key, declaredShape(p)));
        return out;
    }

    /**
     * Returns the shape a parameter of this tree was declared with.
     *
     * @param parameter a parameter of this block or of one of its descendants
     * @return the declared shape
     */
    public final Shape declaredShape(Parameter parameter) {
        Shape s = findDeclaredShape(parameter);
        if (s == null) {
            throw new IllegalArgumentException(
                    "parameter " + parameter.getName() + " is not in this block");
        }
        return s;
    }

    private Shape findDeclaredShape(Parameter parameter) {
        Shape own = declaredShapes.get(parameter);
        if (own != null) {
            return own;
        }
        for (StateDictBlock m : ownModules.values()) {
            Shape s = m.findDeclaredShape(parameter);
            if (s != null) {
                return s;
            }
        }
        return null;
    }

    /**
     * Counts the scalar parameters of this module and its children (what PyTorch's {@code
     * sum(p.numel() for p in model.parameters())} prints).
     *
     * @return the number of scalar parameters
     */
    public final long parameterCount() {
        long n = 0;
        for (Shape s : stateDictShapes().values()) {
            n += s.size();
        }
        return n;
    }

    /** Returns true when every parameter of the tree holds an array. */
    @Override
    public boolean isInitialized() {
        for (Parameter p : stateDict().values()) {
            if (!p.isInitialized()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Gives every parameter that holds no array yet its declared shape and its official random
     * initialisation. Input shapes are not needed: the configuration fixes every shape.
     */
    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        beforeInitialize(inputShapes);
        stateDict()
                .forEach(
                        (key, p) -> {
                            if (!p.isInitialized() && p.getShape() == null) {
                                p.setShape(declaredShape(p));
                            }
                            p.initialize(manager, dataType);
                        });
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        // children are initialised by initialize() through the state-dict walk
    }

    /**
     * Makes sure every parameter of the tree is materialised on {@code device} in the parameter
     * store before any temporary scope is opened: the store caches device copies, and a copy
     * created inside an {@code NDScope} would be closed with that scope.
     *
     * @param store the parameter store of the current forward pass
     * @param device the device of the input
     * @param training whether this is a training pass
     */
    public final void prefetch(ParameterStore store, Device device, boolean training) {
        for (Parameter p : stateDict().values()) {
            store.getValue(p, device, training);
        }
    }

    /**
     * Looks up a parameter's value for the current pass.
     *
     * @param store the parameter store
     * @param parameter the parameter
     * @param like an array on the target device
     * @param training whether this is a training pass
     * @return the parameter's array on {@code like}'s device
     */
    protected static NDArray value(
            ParameterStore store, Parameter parameter, NDArray like, boolean training) {
        return store.getValue(parameter, like.getDevice(), training);
    }

    /**
     * Returns the only input of a single-input block.
     *
     * @param inputs the inputs
     * @param blockName for the error message
     * @return the input
     */
    protected static NDArray single(NDList inputs, String blockName) {
        if (inputs.size() != 1) {
            throw new IllegalArgumentException(
                    blockName + " takes exactly one input, got " + inputs.size());
        }
        return inputs.get(0);
    }

    /**
     * Runs {@code body} in a fresh {@link NDScope}: every array it creates is closed on return
     * except the result. This bounds memory per block, and also releases results that an operation
     * attached to a parameter's manager (DJL attaches a result to its first operand's manager).
     * Parameter values must be in the store already (see {@link #prefetch}).
     *
     * @param body the computation
     * @return its result, owned by the manager the last operation attached it to
     */
    protected static NDArray scoped(Supplier<NDArray> body) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray out = body.get();
            NDScope.unregister(out);
            return out;
        }
    }
}
