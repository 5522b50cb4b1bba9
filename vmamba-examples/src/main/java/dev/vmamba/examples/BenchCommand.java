package dev.vmamba.examples;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code vmamba bench}: placeholder until the benchmark lands. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (not yet).")
public final class BenchCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("vmamba bench is not implemented yet");
    }
}
