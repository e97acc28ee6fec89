package dev.flywheel.lab.research;

import java.util.Map;

/**
 * One proposal the built-in researcher weighs: its score (higher first), the source that made it (named in the
 * hypothesis, so the journal says where an idea came from), the change and its hypothesis in words.
 */
record Candidate(double score, String arm, Map<String, Object> change, String hypothesis) {}
