package dev.flywheel.app;

import dev.flywheel.data.prep.DataCache;
import dev.flywheel.lab.Names;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the lab keeps things: runs, studies, the data cache and the store. One directory, default ./flywheel-lab.
 * Every path a command derives from a user-given name goes through here ({@link #study}, {@link #runId}), checked
 * by {@link Names} before it is used, so no name can point outside the lab.
 *
 * @param dir    the lab directory
 * @param origin how the user named it ("--lab", "$FLYWHEEL_LAB"), or null for the default
 */
record Lab(Path dir, String origin) {

    static final String ENV = "FLYWHEEL_LAB";

    Lab(Path dir) {
        this(dir, null);
    }

    /** The given directory, else $FLYWHEEL_LAB, else ./flywheel-lab; refuses a lab that is a file. */
    static Lab at(Path given) {
        Lab lab;
        if (given != null) lab = new Lab(given, "--lab");
        else {
            String env = System.getenv(ENV);
            lab = env != null && !env.isBlank() ? new Lab(Path.of(env), "$" + ENV) : new Lab(Path.of("flywheel-lab"));
        }
        if (Files.exists(lab.dir) && !Files.isDirectory(lab.dir))
            throw new IllegalArgumentException((lab.origin == null ? "the lab " : lab.origin + " ") + lab.dir
                    + " is a file, not a lab directory; give the lab's directory, or a new one to make");
        return lab;
    }

    /**
     * The lab for a command that only reads it ({@code studies}, {@code study show}, {@code runs show}): a lab the
     * user named that does not exist is refused, rather than reported as empty — a mistyped --lab would otherwise
     * look like a lab that lost its studies.
     */
    static Lab existing(Path given) {
        var lab = at(given);
        if (lab.origin != null && !Files.exists(lab.dir))
            throw new IllegalArgumentException("there is no lab at " + lab.dir + " (" + lab.origin
                    + "); check the path, or start a lab there with `flywheel research`");
        return lab;
    }

    /** The folder of study {@code name}, refused in one sentence when the name could point outside the lab. */
    Path study(String name) {
        return studies().resolve(Names.require("study name", name));
    }

    /** {@code id} when it is a usable run id, else refused in one sentence. */
    static String runId(String id) {
        return Names.require("run id", id);
    }

    DataCache cache() {
        return new DataCache(dir.resolve("cache"));
    }

    Path runs() {
        return dir.resolve("runs");
    }

    Path studies() {
        return dir.resolve("studies");
    }

    Path store() {
        return dir.resolve("flywheel.db");
    }
}
