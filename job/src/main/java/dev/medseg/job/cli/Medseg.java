package dev.medseg.job.cli;

import dev.medseg.job.config.ConfigError;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The one entry point: {@code bin/medseg <command>}. */
@Command(name = "medseg", mixinStandardHelpOptions = true, versionProvider = Versions.class,
        description = "LLM-augmented transformers for medical image segmentation, trained and evaluated on Spark.",
        subcommands = {InfoCommand.class, PrepCommand.class, TrainCommand.class, EvaluateCommand.class,
                PredictCommand.class, ForwardCommand.class, ScoreCommand.class, InspectCommand.class,
                BenchCommand.class, LlmCommand.class, SynthCommand.class})
public final class Medseg implements Runnable {
    /** Exit code for bad input or configuration (the message says what to fix). */
    public static final int EXIT_USAGE = 2;
    /** Exit code for a command this build does not provide yet. */
    public static final int EXIT_NOT_AVAILABLE = 3;

    @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Log progress details (INFO for medseg, Spark and ND4J).")
    void verbose(boolean v) {
        if (v) {
            Configurator.setRootLevel(Level.INFO);
            Configurator.setLevel("dev.medseg", Level.DEBUG);
        }
    }

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: choose one of "
                + String.join(", ", spec.subcommands().keySet()));
    }

    /** The command line with our error handling; tests call this instead of {@link #main}. */
    public static CommandLine commandLine() {
        var cl = new CommandLine(new Medseg());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof ConfigError || ex instanceof UserError) {
                cmd.getErr().println("medseg " + cmd.getCommandName() + ": " + ex.getMessage());
                return EXIT_USAGE;
            }
            if (ex instanceof NotAvailableYet) {
                cmd.getErr().println(ex.getMessage());
                return EXIT_NOT_AVAILABLE;
            }
            throw ex;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
