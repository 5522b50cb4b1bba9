package dev.vmamba.models.checkpoint;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Progress;
import dev.vmamba.core.io.Safetensors;
import dev.vmamba.core.io.TensorInfo;
import dev.vmamba.core.nn.StateDictBlock;
import dev.vmamba.core.weights.LoadReport;
import dev.vmamba.core.weights.StateDictLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads weight files into state dicts under the current official key names and loads them into
 * models. The reader is chosen by content: a zip archive is a {@code torch.save} checkpoint ({@code
 * .pth}, {@code .pt}, {@code .bin}), anything named {@code .safetensors} is safetensors. Key
 * spellings of every official code era are mapped by {@link OfficialKeyMapping}; from a training
 * checkpoint the weights chosen by {@link CheckpointWeights} are used ({@code model} by default).
 *
 * <pre>{@code
 * VMamba model = VMamba.builder(OfficialConfigReader.read(yaml)).build();
 * Checkpoints.load(model, Path.of("vssm1_tiny_0230s_ckpt_epoch_264.pth"), manager);
 * }</pre>
 */
public final class Checkpoints {

    private Checkpoints() {}

    /** The weight file formats this class reads. */
    public enum Format {
        /** A {@code torch.save} zip archive. */
        PYTORCH,
        /** A safetensors file. */
        SAFETENSORS
    }

    /**
     * Detects a weight file's format from its first bytes and name.
     *
     * @param file the file
     * @return the format
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if the format is not recognised
     */
    public static Format detect(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("weights file not found: " + file);
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(4);
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (head.length >= 2 && head[0] == 'P' && head[1] == 'K') {
            return Format.PYTORCH;
        }
        if (name.endsWith(".safetensors")) {
            return Format.SAFETENSORS;
        }
        if (name.endsWith(".pth")
                || name.endsWith(".pt")
                || name.endsWith(".bin")
                || name.endsWith(".ckpt")) {
            return Format.PYTORCH; // the reader explains what is wrong with it
        }
        throw new IllegalArgumentException(
                "unknown weights format '"
                        + file.getFileName()
                        + "' (expected a torch.save .pth/.pt/.bin or a .safetensors file)");
    }

    /**
     * Reads the {@code model} weights of a file under current official keys.
     *
     * @param file a {@code .pth}/{@code .pt}/{@code .bin} or {@code .safetensors} file
     * @param manager owner of the tensors
     * @return current official key → tensor
     * @throws IOException if the file cannot be read
     * @throws MalformedModelException if the file is malformed or holds no usable weights
     */
    public static Map<String, NDArray> readStateDict(Path file, NDManager manager)
            throws IOException, MalformedModelException {
        return readStateDict(file, manager, CheckpointWeights.MODEL);
    }

    /**
     * Reads the chosen weights of a file under current official keys.
     *
     * @param file the weights file
     * @param manager owner of the tensors
     * @param which which weights of a training checkpoint
     * @return current official key → tensor
     * @throws IOException if the file cannot be read
     * @throws MalformedModelException if the file is malformed or holds no such weights
     */
    public static Map<String, NDArray> readStateDict(
            Path file, NDManager manager, CheckpointWeights which)
            throws IOException, MalformedModelException {
        return read(file, manager, which, null).tensors();
    }

    /**
     * Reads the chosen weights of a file, reporting progress per tensor.
     *
     * @param file the weights file
     * @param manager owner of the tensors
     * @param which which weights of a training checkpoint
     * @param progress receives one step per tensor, or null
     * @return the state dict with its provenance and key mapping
     * @throws IOException if the file cannot be read
     * @throws MalformedModelException if the file is malformed or holds no such weights
     */
    public static StateDict read(
            Path file, NDManager manager, CheckpointWeights which, Progress progress)
            throws IOException, MalformedModelException {
        String name = file.getFileName().toString();
        if (detect(file) == Format.SAFETENSORS) {
            if (which != CheckpointWeights.MODEL) {
                throw new IllegalArgumentException(
                        file
                                + " is a safetensors file, which holds one state dict; '"
                                + which.entry()
                                + "' selects an entry of a .pth training checkpoint");
            }
            Map<String, NDArray> raw = readSafetensors(file, manager);
            Map<String, Shape> shapes = new LinkedHashMap<>();
            raw.forEach((k, v) -> shapes.put(k, v.getShape()));
            OfficialKeyMapping.Result mapping = OfficialKeyMapping.map(shapes, file.toString());
            Map<String, NDArray> out = new LinkedHashMap<>();
            start(progress, "Reading", mapping.mapped().size());
            for (OfficialKeyMapping.Mapped m : mapping.mapped()) {
                NDArray a = raw.get(m.source());
                out.put(m.target(), m.reshaped() ? reshape(a, m.targetShape()) : a);
                step(progress);
            }
            mapping.dropped().keySet().forEach(k -> raw.get(k).close());
            end(progress);
            return new StateDict(out, name, mapping);
        }
        try (PyTorchCheckpoint ckpt = PyTorchCheckpoint.open(file)) {
            CheckpointWeights.Selection sel = select(ckpt, which);
            Map<String, Shape> shapes = new LinkedHashMap<>();
            sel.tensors().forEach((k, v) -> shapes.put(k, v.shape()));
            OfficialKeyMapping.Result mapping = OfficialKeyMapping.map(shapes, file.toString());
            Map<String, NDArray> out = new LinkedHashMap<>();
            start(progress, "Reading", mapping.mapped().size());
            for (OfficialKeyMapping.Mapped m : mapping.mapped()) {
                NDArray a = ckpt.toNDArray(sel.tensors().get(m.source()), manager);
                out.put(m.target(), m.reshaped() ? reshape(a, m.targetShape()) : a);
                step(progress);
            }
            end(progress);
            return new StateDict(out, name + sel.description(), mapping);
        }
    }

    private static CheckpointWeights.Selection select(
            PyTorchCheckpoint ckpt, CheckpointWeights which) throws MalformedModelException {
        try {
            return which.select(ckpt.root(), ckpt.file().toString());
        } catch (MalformedModelException e) {
            if (ckpt.isTorchScript()) {
                throw new MalformedModelException(
                        e.getMessage()
                                + "\n(this is a TorchScript archive written by torch.jit.save;"
                                + " it holds a compiled module, not a training checkpoint)",
                        e);
            }
            throw e;
        }
    }

    /**
     * Reads every tensor of a safetensors file into engine-owned arrays (see {@link HostArrays}).
     */
    private static Map<String, NDArray> readSafetensors(Path file, NDManager manager)
            throws IOException, MalformedModelException {
        Safetensors.Header header = Safetensors.readHeader(file);
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (TensorInfo t : header.tensors()) {
                long size = t.byteSize();
                if (size > Integer.MAX_VALUE - 8) {
                    throw new MalformedModelException(
                            file + ": tensor '" + t.name() + "' is over 2 GiB; not supported");
                }
                ByteBuffer buf = manager.allocateDirect((int) size).order(ByteOrder.LITTLE_ENDIAN);
                long pos = header.dataStart() + t.begin();
                while (buf.hasRemaining()) {
                    if (ch.read(buf, pos + buf.position()) < 0) {
                        throw new MalformedModelException(
                                file + ": truncated inside tensor '" + t.name() + "'");
                    }
                }
                buf.flip();
                out.put(t.name(), HostArrays.create(buf, t.shape(), t.dataType(), manager));
            }
        }
        return out;
    }

    private static NDArray reshape(NDArray a, Shape shape) {
        NDArray r = a.reshape(shape);
        if (r != a) {
            a.close();
        }
        return r;
    }

    /**
     * Reads the {@code model} weights of a file and loads them strictly into a model.
     *
     * @param model the model
     * @param file the weights
     * @param manager owner of the parameters
     * @return the (clean) load report
     * @throws IOException if the file cannot be read
     * @throws MalformedModelException if the file is malformed or does not match the model, listing
     *     every missing, unexpected and mis-shaped key
     */
    public static LoadReport load(StateDictBlock model, Path file, NDManager manager)
            throws IOException, MalformedModelException {
        return load(model, file, manager, CheckpointWeights.MODEL);
    }

    /**
     * Reads the chosen weights of a file and loads them strictly into a model.
     *
     * @param model the model
     * @param file the weights
     * @param manager owner of the parameters
     * @param which which weights of a training checkpoint
     * @return the (clean) load report
     * @throws IOException if the file cannot be read
     * @throws MalformedModelException if the file is malformed or does not match the model, listing
     *     every missing, unexpected and mis-shaped key
     */
    public static LoadReport load(
            StateDictBlock model, Path file, NDManager manager, CheckpointWeights which)
            throws IOException, MalformedModelException {
        try (NDManager tmp = manager.newSubManager()) {
            StateDict sd = read(file, tmp, which, null);
            try {
                return StateDictLoader.load(model, sd.tensors(), manager, true);
            } catch (MalformedModelException e) {
                throw new MalformedModelException(
                        sd.source() + " (" + sd.mapping().summary() + "): " + e.getMessage(), e);
            }
        }
    }

    /**
     * Converts the chosen weights of a checkpoint into a safetensors file under the current
     * official key names, keeping each tensor's element type.
     *
     * @param in the checkpoint (any format {@link #read} accepts)
     * @param out the safetensors file to write
     * @param which which weights of a training checkpoint
     * @param progress receives one step per tensor, or null
     * @return what was written (its arrays are closed)
     * @throws IOException if reading or writing fails
     * @throws MalformedModelException if the checkpoint is malformed
     */
    public static StateDict convert(Path in, Path out, CheckpointWeights which, Progress progress)
            throws IOException, MalformedModelException {
        try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            StateDict sd = read(in, m, which, progress);
            Map<String, String> meta = new TreeMap<>();
            meta.put("format", "pt");
            meta.put("source", sd.source());
            meta.put("key_mapping", sd.mapping().summary());
            Safetensors.write(out, sd.tensors(), meta);
            return sd;
        }
    }

    private static void start(Progress p, String message, long max) {
        if (p != null) {
            p.reset(message, Math.max(1, max));
            p.start(0);
        }
    }

    private static void step(Progress p) {
        if (p != null) {
            p.increment(1);
        }
    }

    private static void end(Progress p) {
        if (p != null) {
            p.end();
        }
    }
}
