package dev.vmamba.examples;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code vmamba} command-line tool. Each subcommand is a small program with its own {@code
 * --help}.
 */
@Command(
        name = "vmamba",
        mixinStandardHelpOptions = true,
        version = "vmamba 0.1.0",
        description = "VMamba (Visual State Space Models) on the JVM.",
        subcommands = {
            RunCommand.class,
            ClassifyCommand.class,
            InfoCommand.class,
            ConvertCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
        })
public final class VMambaCli {

    /**
     * Runs the tool.
     *
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        int code = new CommandLine(new VMambaCli()).execute(args);
        System.exit(code);
    }
}
