package dev.flywheel.lab.research;

import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.search.ChangeResult;
import dev.flywheel.lab.search.Dimension;
import dev.flywheel.lab.study.Lab;

import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.Random;

/**
 * Random search, the yardstick for every other researcher: each experiment sets every dimension of the search
 * space to a uniform draw (on a log scale where the range is one), whatever earlier runs showed. Draws the
 * recipe rules reject (heads that do not divide the width, min_lr above lr, too many parameters) are drawn again.
 * Deterministic for a seed and a study history, so a resumed study proposes what it would have.
 */
public final class RandomResearcher extends ProposingResearcher {

    private final long seed;

    public RandomResearcher(long seed) {
        this.seed = seed;
    }

    @Override
    public String id() {
        return "random";
    }

    @Override
    protected Optional<Proposal> propose(Lab study, int attempt) {
        var space = study.settings().space();
        int runs = study.history().size();
        var rng = new Random(seed * 1_000_003L + runs * 7_919L + attempt);
        for (int tries = 0; tries < 1000; tries++) {
            var values = new LinkedHashMap<String, Object>();
            for (var d : space.dimensions()) values.put(d.path(), sample(d, rng));
            if (study.validate(Change.of(values)) instanceof ChangeResult.Accepted a)
                return Optional.of(new Proposal("Random search, the baseline for comparing researchers: every setting "
                        + "of the search space drawn uniformly (on a log scale where its range is one), independent of "
                        + "the runs so far. [random]", a.change(), 1));
        }
        return Optional.empty();
    }

    static Object sample(Dimension d, Random rng) {
        return switch (d) {
            case Dimension.Numeric n -> {
                double v = n.fromUnit(rng.nextDouble());
                yield n.integer() ? (Object) (long) v : (Object) v;
            }
            case Dimension.Categorical c -> c.values().get(rng.nextInt(c.values().size()));
        };
    }
}
