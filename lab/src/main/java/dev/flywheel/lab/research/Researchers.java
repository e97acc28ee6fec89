package dev.flywheel.lab.research;

import dev.flywheel.lab.LabException;

/** The researchers this module provides, by the id the command line and the journal use. */
public final class Researchers {

    private Researchers() {
    }

    /** "builtin" or "random"; LLM researchers (claude, openai) come from the agent module. */
    public static Researcher create(String id, long seed) {
        return switch (id == null ? "builtin" : id.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "builtin" -> new BuiltinResearcher(seed);
            case "random" -> new RandomResearcher(seed);
            default -> throw new LabException("researcher \"" + id + "\" is not known here; use builtin or random");
        };
    }
}
