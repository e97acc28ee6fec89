package dev.flywheel.app;

import dev.flywheel.data.Progress;
import dev.flywheel.lab.exec.TrainerCheck;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RecipeRunner;
import dev.flywheel.lab.run.RunSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code flywheel trainer}: external trainers (docs/trainer-protocol.md). */
@Command(name = "trainer", mixinStandardHelpOptions = true, description = "External trainers that speak the trainer protocol.",
        subcommands = {TrainerCommand.Check.class})
final class TrainerCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "check", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Run a trainer for a few steps and say what in the protocol it gets wrong.",
                    "Example: flywheel trainer check --arg lr=0.001 -- python3 trainers/torch/train.py"})
    static final class Check implements Callable<Integer> {

        @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The trainer's command line (put -- before it when it has flags).")
        List<String> command;
        @Option(names = "--arg", paramLabel = "KEY=VALUE", description = "A trainer setting (trainer.args.KEY), passed as --KEY=VALUE.")
        Map<String, String> args = new LinkedHashMap<>();
        @Option(names = "--recipe", paramLabel = "FILE", description = "Start from this recipe (JSON); COMMAND and --arg replace its trainer settings.")
        Path recipe;
        @Option(names = "--data", paramLabel = "SOURCE", description = "The data (default: the recipe's, else the JDK's sources, byte-level).")
        String data;
        @Option(names = "--tokenizer", description = "byte, char or bpe (default: the recipe's, else byte).")
        String tokenizer;
        @Option(names = "--steps", converter = Numbers.PositiveInt.class, defaultValue = "20", description = "Steps of the check's budget (default ${DEFAULT-VALUE}).")
        int steps;
        @Option(names = "--timeout", converter = Numbers.PositiveDouble.class, defaultValue = "600", description = "Seconds the trainer may take (default ${DEFAULT-VALUE}).")
        double timeout;
        @Option(names = "--resume", description = "Also send SIGTERM after its second step and check that it continues when started again with FLYWHEEL_RESUME=1.")
        boolean resume;
        @Option(names = "--lab", paramLabel = "DIR", description = "Lab directory holding the data cache and the check's run (default: $FLYWHEEL_LAB or ./flywheel-lab).")
        Path lab;

        @Override
        public Integer call() {
            var base = recipe != null ? Recipe.read(recipe)
                    : Recipe.defaults().with(Map.of("data.tokenizer", "byte", "eval.tokens", 8192));
            var changes = new LinkedHashMap<String, Object>();
            if (data != null) changes.put("data.source", data);
            if (tokenizer != null) changes.put("data.tokenizer", tokenizer);
            changes.put("budget", Map.of("kind", "steps", "amount", steps));
            changes.put("trainer", Map.of("command", String.join(" ", command)));
            args.forEach((k, v) -> changes.put("trainer.args." + k, v)); // over the recipe file's own
            var r = base.with(changes);
            var labDir = Lab.at(lab);
            var dir = labDir.runs().resolve("trainer-check-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
            System.out.printf("checking %s on %s, %d steps, in %s%n", r.trainer().command(), r.data().source(), steps, dir);
            var spec = new RunSpec("trainer-check", r, dir, labDir.cache(), 1, false, false, 0);
            var prepared = RecipeRunner.prepare(spec, Progress.none());
            var report = new TrainerCheck(r, prepared, timeout, Runtime.getRuntime().availableProcessors()).run(dir, resume);
            for (var item : report.items())
                System.out.println(switch (item.level()) {
                    case OK -> "  ok       ";
                    case NOTE -> "  note     ";
                    case PROBLEM -> "  PROBLEM  ";
                } + item.text());
            System.out.println(report.passed() ? "the trainer speaks the protocol" : "the trainer does not speak the protocol yet: "
                    + "fix the problems above (docs/trainer-protocol.md)");
            return report.passed() ? 0 : 1;
        }
    }
}
