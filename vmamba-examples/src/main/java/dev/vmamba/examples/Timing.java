package dev.vmamba.examples;

import java.util.Arrays;
import java.util.Locale;

/**
 * Wall-clock samples of one measured operation, summarised as min / median / max.
 *
 * @param label what was timed
 * @param seconds the samples, in run order
 */
record Timing(String label, double[] seconds) {

    /**
     * @return the median sample in seconds
     */
    double median() {
        double[] s = seconds.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /**
     * @return the fastest sample in seconds
     */
    double min() {
        return Arrays.stream(seconds).min().orElse(Double.NaN);
    }

    /**
     * @return the slowest sample in seconds
     */
    double max() {
        return Arrays.stream(seconds).max().orElse(Double.NaN);
    }

    /**
     * Times {@code body} after {@code warmup} unrecorded runs.
     *
     * @param label what is timed
     * @param warmup runs not recorded (JIT, caches)
     * @param repeats recorded runs
     * @param body the operation
     * @return the samples
     */
    static Timing measure(String label, int warmup, int repeats, Runnable body) {
        for (int i = 0; i < warmup; i++) {
            body.run();
        }
        double[] s = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t = System.nanoTime();
            body.run();
            s[i] = (System.nanoTime() - t) / 1e9;
        }
        return new Timing(label, s);
    }

    /**
     * @return a one-line summary in milliseconds
     */
    String summary() {
        return String.format(
                Locale.ROOT,
                "%-34s median %9.2f ms   (min %9.2f, max %9.2f, n=%d)",
                label,
                median() * 1e3,
                min() * 1e3,
                max() * 1e3,
                seconds.length);
    }
}
