package dev.vmamba.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vmamba.core.scan.JavaSelectiveScan;
import dev.vmamba.core.scan.ScanGradients;
import dev.vmamba.core.scan.ScanInputs;
import dev.vmamba.core.scan.ScanOutput;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Tensors over 2 GiB: u, delta, y, dy, du and ddelta of {@code (8, 64, 1 050 000)} float32 (2.15 GB
 * each) are addressed through the one-element-view route. The last batch row -- the highest
 * addresses -- is checked against the CPU Java scan (forward) and against the same row scanned
 * alone (backward).
 */
@Tag("gpu")
class CudaLargeTensorTest {

    @Test
    void scansTensorsOverTwoGibibytes() {
        Device gpu = GpuSupport.gpu();
        int bt = 8;
        int c = 64;
        int l = 1_050_000;
        int n = 1;
        assertTrue((long) bt * c * l * 4 > (2L << 30));
        try (NDManager m = NDManager.newBaseManager(gpu)) {
            ScanInputs in =
                    new ScanInputs(
                            m.randomNormal(new Shape(bt, c, l)),
                            m.randomNormal(0f, 0.5f, new Shape(bt, c, l), DataType.FLOAT32).sub(1f),
                            m.randomUniform(-2f, -0.2f, new Shape(c, n)),
                            m.randomNormal(new Shape(bt, 4, n, l)),
                            m.randomNormal(new Shape(bt, 4, n, l)),
                            m.randomNormal(new Shape(c)),
                            m.randomNormal(new Shape(c)),
                            true);
            CudaSelectiveScan scan = new CudaSelectiveScan(ScanTuning.HEURISTIC);
            ScanOutput out = scan.forward(in, true);
            ScanInputs last = row(in, bt - 1);
            {
                ScanInputs host = GpuSupport.to(last, Device.cpu(), null);
                ScanOutput ref = new JavaSelectiveScan().forward(host, true);
                GpuSupport.assertClose("y of row 7", out.y().get(bt - 1 + ":"), ref.y(), 2e-4);
                GpuSupport.assertClose(
                        "last state of row 7",
                        out.lastState().get(bt - 1 + ":"),
                        ref.lastState(),
                        2e-4);
            }
            NDArray dy = m.randomNormal(new Shape(bt, c, l));
            ScanGradients g = scan.backward(in, dy);
            ScanGradients alone = scan.backward(last, dy.get(bt - 1 + ":"));
            GpuSupport.assertClose("du of row 7", g.du().get(bt - 1 + ":"), alone.du(), 1e-5);
            GpuSupport.assertClose(
                    "ddelta of row 7", g.dDelta().get(bt - 1 + ":"), alone.dDelta(), 1e-5);
            GpuSupport.assertClose("dB of row 7", g.dB().get(bt - 1 + ":"), alone.dB(), 1e-5);
            GpuSupport.assertClose("dC of row 7", g.dC().get(bt - 1 + ":"), alone.dC(), 1e-5);
        }
    }

    private static ScanInputs row(ScanInputs in, int b) {
        String r = b + ":" + (b + 1);
        return new ScanInputs(
                in.u().get(r).duplicate(),
                in.delta().get(r).duplicate(),
                in.a(),
                in.b().get(r).duplicate(),
                in.c().get(r).duplicate(),
                in.d(),
                in.deltaBias(),
                true);
    }
}
