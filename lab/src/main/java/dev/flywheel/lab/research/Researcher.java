package dev.flywheel.lab.research;

import dev.flywheel.lab.study.Lab;

/**
 * Who designs a study's experiments. It drives the study through the same operations an LLM agent's tools call —
 * {@link Lab#state()}, {@link Lab#runExperiment}, {@link Lab#runDetails}, {@link Lab#note},
 * {@link Lab#finish} — until the budget is spent ({@link Lab#canRunExperiment()} turns false) or it decides
 * to stop. The study keeps the rules (validation, the keep rule, the budget, the journal); a researcher only
 * proposes.
 *
 * <p>The built-in ones: {@link BuiltinResearcher} ("builtin") and {@link RandomResearcher} ("random"). An LLM
 * researcher (Claude, an OpenAI-compatible server) implements this interface in the agent module: its
 * {@link #research} runs the conversation, turning tool calls into these calls, and its {@link #id()} — the model
 * id — is what the journal records as the proposer of its runs.
 */
public interface Researcher {

    /** The proposer the journal names: "builtin", "random", or a model id. */
    String id();

    /**
     * Runs experiments on the study (its baseline is done) until the budget is spent or there is nothing worth
     * trying; may call {@link Lab#finish} with a summary of its own. Failed runs are results, not exceptions.
     */
    void research(Lab study);
}
