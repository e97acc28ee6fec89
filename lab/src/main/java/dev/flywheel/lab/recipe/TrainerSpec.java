package dev.flywheel.lab.recipe;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.flywheel.lab.recipe.RecipeException.Problem;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The recipe's {@code trainer} section: which program trains the run. Empty (no command) means the built-in engine;
 * a command means an external trainer driven through the trainer protocol (docs/trainer-protocol.md), started with
 * {@code args} appended as {@code --key=value} flags. The engine sections of the recipe (model, optimizer, ...) are
 * then the lab's description of the run, not the trainer's settings: the trainer's own settings are {@code args},
 * which a brief's search space names as {@code trainer.args.KEY}.
 *
 * <p>The section is left out of a recipe's JSON — and so of its hash — while it is empty, so every engine recipe
 * keeps the identity it had before external trainers existed.
 *
 * @param command the command line, split on white space (quote nothing: a script path and its fixed options)
 * @param args    the trainer's own settings: numbers (Long or Double), true/false or texts, by flag name
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record TrainerSpec(String command, Map<String, Object> args) {

    /** What a flag name may be: it becomes {@code --key=value} on a command line, unquoted. */
    static final Pattern KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,63}");

    public static final TrainerSpec ENGINE = new TrainerSpec("", Map.of());

    public TrainerSpec {
        command = command == null ? "" : command.strip();
        var sorted = new TreeMap<String, Object>();
        var problems = new ArrayList<Problem>();
        (args == null ? Map.<String, Object>of() : args).forEach((k, v) -> {
            var path = "trainer.args." + k;
            if (!KEY.matcher(k).matches())
                problems.add(new Problem(path, path + ": \"" + k + "\" cannot be a flag name; use letters, digits, _ and -, "
                        + "starting with a letter"));
            else if (v == null || v instanceof Map<?, ?> || v instanceof List<?>)
                problems.add(new Problem(path, path + " must be a number, true/false or a text (got " + v + ")"));
            else sorted.put(k, v instanceof Integer i ? (Object) i.longValue() : v instanceof Float f ? (Object) f.doubleValue() : v);
        });
        if (command.isEmpty() && !sorted.isEmpty())
            problems.add(new Problem("trainer.command", "trainer.args are set but trainer.command is empty; give the "
                    + "command that trains, such as \"python3 trainers/torch/train.py\", or remove trainer.args"));
        if (!problems.isEmpty()) throw new RecipeException(problems);
        args = java.util.Collections.unmodifiableMap(sorted);
    }

    /** True when the built-in engine trains: no command. */
    public boolean engine() {
        return command.isEmpty();
    }

    /** The command line: the command's words, then one {@code --key=value} per setting, in key order. */
    public List<String> commandLine() {
        var out = new ArrayList<String>(List.of(command.split("\\s+")));
        args.forEach((k, v) -> out.add("--" + k + "=" + Values.format(v)));
        return List.copyOf(out);
    }
}
