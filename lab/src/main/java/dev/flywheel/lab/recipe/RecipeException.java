package dev.flywheel.lab.recipe;

import dev.flywheel.lab.LabException;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A recipe that cannot be read or built. Each {@link Problem} is one sentence naming the dotted path and the
 * fix; the message is those sentences, one a line, prefixed by the file when the recipe came from one.
 */
public final class RecipeException extends LabException {

    /** One thing wrong with a recipe: the dotted path it concerns ("" for the whole recipe) and what to do. */
    public record Problem(String path, String message) {
    }

    private final List<Problem> problems;

    public RecipeException(List<Problem> problems) {
        this(null, problems);
    }

    private RecipeException(String source, List<Problem> problems) {
        super(render(source, problems));
        if (problems.isEmpty()) throw new IllegalArgumentException("a RecipeException needs at least one problem");
        this.problems = List.copyOf(problems);
    }

    public static RecipeException of(String path, String message) {
        return new RecipeException(List.of(new Problem(path, message)));
    }

    public List<Problem> problems() {
        return problems;
    }

    /** The same problems, attributed to the file (or other input) the recipe was read from. */
    public RecipeException in(String source) {
        return new RecipeException(source, problems);
    }

    private static String render(String source, List<Problem> problems) {
        var prefix = source == null ? "" : "recipe " + source + ": ";
        return problems.stream().map(p -> prefix + p.message()).collect(Collectors.joining("\n"));
    }
}
