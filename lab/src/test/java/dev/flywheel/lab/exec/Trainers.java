package dev.flywheel.lab.exec;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.study.TinyStudies;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** External trainers for tests: the repository's trainers/ and small scripts written on the spot. */
public final class Trainers {

    private Trainers() {
    }

    /** A file of the repository (tests run in a module's directory). */
    public static Path repo(String relative) {
        var here = Path.of("").toAbsolutePath();
        for (var dir = here; dir != null; dir = dir.getParent())
            if (Files.isRegularFile(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("trainers"))) return dir.resolve(relative);
        throw new IllegalStateException("no repository root above " + here);
    }

    /** The shell-and-awk trainer of trainers/fake that fakes a loss curve. */
    public static String fakeCommand() {
        return "sh " + repo("trainers/fake/fake_trainer.sh");
    }

    /** Debian's Python, where python3-torch installs (a python3 earlier on the PATH may be another one). */
    static final String PYTHON = "/usr/bin/python3";

    /** The PyTorch trainer of trainers/torch. */
    public static String torchCommand() {
        return PYTHON + " " + repo("trainers/torch/train.py");
    }

    /** Why the PyTorch tests cannot run here, or null when they can (.ci/run installs python3-torch). */
    public static String torchMissing() {
        try {
            var p = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
            var out = new String(p.getInputStream().readAllBytes());
            return p.waitFor() == 0 ? null : "PyTorch is not importable by " + PYTHON + " (" + out.strip().lines()
                    .reduce((a, b) -> b).orElse("") + "): install python3-torch, as .ci/run does";
        } catch (IOException e) {
            return PYTHON + " cannot be run (" + e.getMessage() + "): install python3 and python3-torch, as .ci/run does";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** A script written to {@code dir} and the command that runs it with sh. */
    public static String script(Path dir, String name, String body) {
        try {
            Files.createDirectories(dir);
            var file = dir.resolve(name);
            Files.writeString(file, body);
            return "sh " + file.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tiny Shakespeare recipe of {@code steps} steps, trained by {@code command}. */
    public static Recipe recipe(int steps, String command, Map<String, ?> args) {
        var r = TinyStudies.recipe(steps).with("trainer.command", command);
        for (var e : args.entrySet()) r = r.with("trainer.args." + e.getKey(), e.getValue());
        return r;
    }
}
