package dev.flywheel.lab.study;

import dev.flywheel.lab.research.Researcher;

/**
 * A study from start to end: the baseline, whatever a resumed study left unfinished, the researcher's experiments
 * until the budget is spent, then the conclusion. The same for the built-in researcher and an LLM agent.
 */
public final class StudyLoop {

    private StudyLoop() {
    }

    public static Conclusion run(Study study, Researcher researcher) {
        if (study.finished()) return study.conclusion();
        study.runBaseline();
        study.settlePending();
        if (study.canRunExperiment()) researcher.research(study);
        return study.finish(null);
    }
}
