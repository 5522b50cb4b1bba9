package dev.vmamba.models.checkpoint;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An inert stand-in for an instance of a Python class the reader does not interpret (a yacs {@code
 * CfgNode}, an {@code argparse.Namespace}, a NumPy scalar, an AMP scaler's state, ...). Nothing is
 * instantiated or executed: the placeholder keeps the class name, the constructor arguments, the
 * state passed to {@code __setstate__} and any dict or list items the pickle added, so that the
 * file still loads and a caller can inspect what was there.
 */
public final class PickledObject {

    private final String className;
    private final List<Object> args;
    private Object state;
    private final Map<Object, Object> dictItems = new LinkedHashMap<>();
    private final List<Object> listItems = new ArrayList<>();

    PickledObject(String className, List<Object> args) {
        this.className = className;
        this.args = Collections.unmodifiableList(new ArrayList<>(args));
    }

    /**
     * @return the Python class (or callable) that would have built this value, e.g. {@code
     *     yacs.config.CfgNode}
     */
    public String className() {
        return className;
    }

    /**
     * @return the arguments of the constructor call, as read
     */
    public List<Object> args() {
        return args;
    }

    /**
     * @return the state passed to {@code __setstate__} ({@code BUILD}), or null
     */
    public Object state() {
        return state;
    }

    /**
     * @return items set as for a {@code dict} subclass ({@code SETITEM}/{@code SETITEMS})
     */
    public Map<Object, Object> dictItems() {
        return Collections.unmodifiableMap(dictItems);
    }

    /**
     * @return items appended as for a {@code list} subclass ({@code APPEND}/{@code APPENDS})
     */
    public List<Object> listItems() {
        return Collections.unmodifiableList(listItems);
    }

    void setState(Object s) {
        state = s;
    }

    void putItem(Object key, Object value) {
        dictItems.put(key, value);
    }

    void addItem(Object value) {
        listItems.add(value);
    }

    @Override
    public String toString() {
        return "<" + className + " placeholder>";
    }
}
