package dev.vmamba.core.weights;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.vmamba.core.nn.StateDictBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Copies a state dict (official key → tensor) into a {@link StateDictBlock} by walking the block's
 * own official names. Strict loading checks everything first and changes nothing unless every key
 * matches; the exception lists every missing, unexpected and mis-shaped key at once.
 *
 * <p>Checkpoint-format specifics (legacy key names, prefixes, 4-D {@code Linear2d} weights) are the
 * business of the format mappers in {@code vmamba-models}; this class expects current official
 * names and shapes.
 */
public final class StateDictLoader {

    private StateDictLoader() {}

    /**
     * Compares a state dict with a model without changing anything.
     *
     * @param model the model
     * @param tensors the state dict
     * @return the report
     */
    public static LoadReport check(StateDictBlock model, Map<String, NDArray> tensors) {
        Map<String, Parameter> params = model.stateDict();
        List<String> loaded = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<LoadReport.Mismatch> mismatched = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            NDArray t = tensors.get(e.getKey());
            Shape expected = model.declaredShape(e.getValue());
            if (t == null) {
                missing.add(e.getKey());
            } else if (!t.getShape().equals(expected)) {
                mismatched.add(
                        new LoadReport.Mismatch(e.getKey(), expected, t.getShape(), "wrong shape"));
            } else if (!t.getDataType().isFloating()) {
                mismatched.add(
                        new LoadReport.Mismatch(
                                e.getKey(),
                                expected,
                                t.getShape(),
                                "dtype " + t.getDataType() + " is not floating point"));
            } else {
                loaded.add(e.getKey());
            }
        }
        for (String key : tensors.keySet()) {
            if (!params.containsKey(key)) {
                unexpected.add(key);
            }
        }
        return new LoadReport(loaded, missing, unexpected, mismatched);
    }

    /**
     * Loads a state dict.
     *
     * @param model the model
     * @param tensors the state dict (any floating dtype; converted to float32)
     * @param manager owner of the parameter arrays (its device is where they live)
     * @param strict whether any problem aborts the load before anything is changed
     * @return the report (clean when strict)
     * @throws MalformedModelException in strict mode, listing every problem
     */
    public static LoadReport load(
            StateDictBlock model, Map<String, NDArray> tensors, NDManager manager, boolean strict)
            throws MalformedModelException {
        LoadReport report = check(model, tensors);
        if (strict && !report.isClean()) {
            throw new MalformedModelException(
                    "state dict does not match the model:\n" + report.describeProblems());
        }
        Map<String, Parameter> params = model.stateDict();
        for (String key : report.loaded()) {
            assign(params.get(key), tensors.get(key), manager);
        }
        return report;
    }

    private static void assign(Parameter p, NDArray source, NDManager manager) {
        // toType(FLOAT32, true) returns an alias in the PyTorch engine when the type already
        // matches; an array made from a Java buffer (Safetensors.read) would then be shared with
        // the caller's array and its memory freed with it. A duplicate is owned by the engine.
        NDArray value =
                source.getDataType() == DataType.FLOAT32
                        ? source.duplicate()
                        : source.toType(DataType.FLOAT32, false);
        if (p.isInitialized()) {
            p.getArray().set(value.toByteBuffer());
            value.close();
            return;
        }
        NDArray onDevice = value.toDevice(manager.getDevice(), false);
        if (onDevice != value) {
            value.close();
        }
        onDevice.attach(manager);
        p.setArray(onDevice);
    }
}
