package dev.flywheel.lab.research;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.study.Lab;

import java.util.Optional;

/**
 * A researcher that proposes one experiment at a time from the study's history: the loop that runs each proposal
 * and asks for the next is here, the choice in {@link #propose}. A proposal the study rejects is noted in the
 * journal and the researcher asked again (after a few in a row it gives up, rather than loop).
 */
public abstract class ProposingResearcher implements Researcher {

    private int rejections;

    /** The next experiment, or empty when there is nothing left worth trying. */
    protected abstract Optional<Proposal> propose(Lab study, int attempt);

    @Override
    public void research(Lab study) {
        int inARow = 0;
        while (study.canRunExperiment()) {
            var proposal = propose(study, rejections);
            if (proposal.isEmpty()) {
                study.note(id(), "Nothing left worth trying in this search space; ending the study early.");
                return;
            }
            try {
                var p = proposal.get();
                study.runExperiment(id(), p.hypothesis(), p.change(), p.seeds());
                inARow = 0;
            } catch (LabException e) {
                rejections++;
                if (!study.canRunExperiment()) return;
                study.note(id(), "A proposal of mine was not run: " + e.getMessage());
                if (++inARow >= 5) return;
            }
        }
    }
}
