package dev.flywheel.app;

import dev.flywheel.data.prep.DataCache;

import java.nio.file.Path;

/** Where the lab keeps things: runs, studies, the data cache and the store. One directory, default ./flywheel-lab. */
record Lab(Path dir) {

    static final String ENV = "FLYWHEEL_LAB";

    /** The given directory, else $FLYWHEEL_LAB, else ./flywheel-lab. */
    static Lab at(Path given) {
        if (given != null) return new Lab(given);
        String env = System.getenv(ENV);
        return new Lab(Path.of(env != null && !env.isBlank() ? env : "flywheel-lab"));
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
