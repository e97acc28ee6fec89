package dev.flywheel.app;

import dev.flywheel.data.DataException;
import dev.flywheel.engine.CheckpointException;
import dev.flywheel.lab.LabException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;

/** The {@code flywheel} command line. */
@Command(name = "flywheel", mixinStandardHelpOptions = true, version = "flywheel 0.1.0",
        description = "An autonomous pretraining research lab on the JVM.",
        subcommands = {CommandLine.HelpCommand.class, TrainCommand.class, EvalCommand.class, SampleCommand.class, DataCommand.class, DoctorCommand.class, BenchCommand.class, ResearchCommand.class, StudiesCommand.class, StudyCommand.class, RunsCommand.class, ReplicateCommand.class, TrainerCommand.class, ScaleCommand.class})
public final class Main implements Runnable {

    /** Exit status for errors the user can fix (bad flags, missing or corrupt files). */
    static final int USER_ERROR = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        int code;
        try {
            code = commandLine().execute(args);
        } catch (ExceptionInInitializerError e) {
            // a class that reads a setting when it loads (the engine's -Dfw.vector) found it wrong
            if (!(e.getCause() instanceof IllegalArgumentException bad)) throw e;
            System.err.println("flywheel: " + bad.getMessage());
            code = USER_ERROR;
        }
        System.exit(code);
    }

    static CommandLine commandLine() {
        var cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler(Main::badArguments);
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            String message = userMessage(ex);
            if (message == null) throw ex;
            cmd.getErr().println("flywheel: " + message);
            return USER_ERROR;
        });
        return cl;
    }

    /**
     * A command line picocli could not parse (an unknown flag, a missing value, a number out of range): one
     * sentence and where to read more, instead of the message followed by the whole usage text, so the reason is
     * the one thing on the screen.
     */
    static int badArguments(CommandLine.ParameterException ex, String[] args) {
        var cmd = ex.getCommandLine();
        String message;
        if (ex.getCause() instanceof Numbers.Refused refused && ex.getArgSpec() != null) {
            String name = ex.getArgSpec() instanceof CommandLine.Model.OptionSpec o ? o.longestName()
                    : ex.getArgSpec().paramLabel();
            message = Numbers.sentence(name, refused.getMessage(), ex.getValue());
        } else {
            message = String.valueOf(ex.getMessage()).strip().replaceAll("\\s*\\R\\s*", "; ");
        }
        cmd.getErr().println("flywheel: " + message + " (see `" + cmd.getCommandSpec().qualifiedName() + " --help`)");
        cmd.getErr().flush();
        return USER_ERROR;
    }

    /** The one-sentence message of an error the user can fix, or null for a bug (which keeps its stack trace). */
    static String userMessage(Throwable ex) {
        return switch (ex) {
            case DataException e -> e.getMessage();
            case LabException e -> e.getMessage();
            case CheckpointException e -> e.getMessage();
            case IllegalArgumentException e -> e.getMessage();
            case NoSuchFileException e -> "no such file: " + e.getFile();
            case UncheckedIOException e -> e.getCause() instanceof NoSuchFileException n
                    ? "no such file: " + n.getFile() : e.getMessage();
            case OutOfMemoryError e -> "out of memory: choose a smaller model or batch, or give Java more memory "
                    + "with FLYWHEEL_JAVA_OPTS=-Xmx16g";
            default -> null;
        };
    }
}
