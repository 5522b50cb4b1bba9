package dev.vmamba.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The autotuner's two timing rounds, with a scripted timing in place of CUDA events: a short first
 * round over every candidate, then the fastest few timed again, the second round deciding.
 */
class ScanAutotunerTest {

    private static final LaunchConfig A = new LaunchConfig(64, 1, 4, 32, 0);
    private static final LaunchConfig B = new LaunchConfig(32, 1, 8, 16, 0);
    private static final LaunchConfig C = new LaunchConfig(64, 2, 4, 8, 0);
    private static final LaunchConfig D = new LaunchConfig(128, 1, 16, 16, 0);
    private static final LaunchConfig E = new LaunchConfig(32, 2, 4, 16, 0);

    /** A timing that answers the first round from one table and longer timings from another. */
    private static final class Scripted implements ScanAutotuner.Timing {
        final Map<LaunchConfig, Double> brief = new HashMap<>();
        final Map<LaunchConfig, Double> settled = new HashMap<>();
        final List<String> calls = new ArrayList<>();

        Scripted time(LaunchConfig c, double briefMs, double settledMs) {
            brief.put(c, briefMs);
            settled.put(c, settledMs);
            return this;
        }

        @Override
        public double ms(LaunchConfig c, int runs) {
            calls.add(c.kernelSuffix(16) + "/" + c.chunk() + "x" + runs);
            Double ms = (runs == 2 ? brief : settled).get(c);
            if (ms == null) {
                throw new IllegalArgumentException("cannot launch " + c);
            }
            return ms;
        }
    }

    @Test
    void theSecondRoundOverrulesALuckyFirstRun() {
        // B looked fastest in two runs, but with more runs A is
        Scripted t =
                new Scripted()
                        .time(A, 1.00, 1.00)
                        .time(B, 0.90, 1.05)
                        .time(C, 1.10, 1.10)
                        .time(D, 2.00, 2.00);
        ScanAutotuner.Choice c = ScanAutotuner.fastest(List.of(A, B, C, D), t);
        assertSame(A, c.config());
        assertEquals(1.00, c.ms());
    }

    @Test
    void everyCandidateIsTimedOnceAndOnlyTheFastestFewAgain() {
        Scripted t =
                new Scripted()
                        .time(A, 1.3, 1.3)
                        .time(B, 1.1, 1.1)
                        .time(C, 1.2, 1.2)
                        .time(D, 1.0, 1.4)
                        .time(E, 1.5, 1.5);
        ScanAutotuner.Choice c = ScanAutotuner.fastest(List.of(A, B, C, D, E), t);
        assertSame(B, c.config());
        int finalRuns = ScanAutotuner.FINAL_RUNS;
        assertEquals(
                List.of(
                        "4_1_4/32x2",
                        "8_1_2/16x2",
                        "4_2_4/8x2",
                        "16_1_1/16x2",
                        "4_2_4/16x2",
                        // the first round's three fastest, fastest first: D, B, C
                        "16_1_1/16x" + finalRuns,
                        "8_1_2/16x" + finalRuns,
                        "4_2_4/8x" + finalRuns),
                t.calls);
        assertEquals(3, ScanAutotuner.FINALISTS);
    }

    @Test
    void candidatesThatCannotLaunchAreSkipped() {
        // C and D have no timing: they throw like a kernel with too many registers for its block
        Scripted t = new Scripted().time(A, 1.2, 1.2).time(B, 1.4, 1.1);
        ScanAutotuner.Choice c = ScanAutotuner.fastest(List.of(C, A, D, B), t);
        assertSame(B, c.config());
        assertEquals(1.1, c.ms());
    }

    @Test
    void noLaunchableCandidateGivesNoChoice() {
        assertNull(ScanAutotuner.fastest(List.of(A, B), new Scripted()));
    }
}
