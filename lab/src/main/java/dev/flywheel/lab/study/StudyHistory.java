package dev.flywheel.lab.study;

import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.DecisionRecord;
import dev.flywheel.lab.store.NoteRecord;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.RunRecord;
import dev.flywheel.lab.store.Store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The study's typed, immutable record: its runs in the order they were queued, the decision on each decided run,
 * and the notes. Loaded once from the store ({@link #load}) and then appended to by the study on every write
 * ({@link #withRun}, {@link #withDecision}, {@link #withNote}), so nothing re-reads the run list. Everything the
 * study derives — the standing (best, noise floor, kept changes), what is pending, the budget spent — is a pure
 * function of a history, which is what lets the rules be tested on synthetic histories without training.
 *
 * <p>A <em>trial</em> is one proposal and the runs that test it: the baseline's seeds, an experiment's seeds and
 * its confirmation, or the scale check's two runs. Its id is the id of its first run ({@link RunRecord#experiment()}).
 *
 * @param start     the study's starting recipe; its seed is the study's base seed
 * @param runs      every run, by ordinal
 * @param decisions the decision on each decided run, by run id
 * @param notes     the journal's notes, oldest first
 */
public record StudyHistory(Recipe start, List<RunRecord> runs, Map<String, DecisionRecord> decisions,
                           List<NoteRecord> notes) {

    public StudyHistory {
        runs = List.copyOf(runs);
        decisions = Map.copyOf(decisions);
        notes = List.copyOf(notes);
    }

    /** The history of {@code study} as the store has it. */
    public static StudyHistory load(Store store, String study, Recipe start) {
        var decisions = new HashMap<String, DecisionRecord>();
        for (var d : store.decisions(study)) decisions.put(d.run(), d);
        return new StudyHistory(start, store.runs(study), decisions, store.notes(study));
    }

    public static StudyHistory empty(Recipe start) {
        return new StudyHistory(start, List.of(), Map.of(), List.of());
    }

    // ---- appending ------------------------------------------------------------------------------------------------

    /** With {@code run} added, or replacing the run with its id (a run's record changes as it starts and ends). */
    public StudyHistory withRun(RunRecord run) {
        var list = new ArrayList<>(runs);
        int i = indexOf(run.id());
        if (i >= 0) list.set(i, run);
        else {
            list.add(run);
            list.sort(Comparator.comparing(RunRecord::ordinal, Comparator.nullsLast(Comparator.naturalOrder())));
        }
        return new StudyHistory(start, list, decisions, notes);
    }

    public StudyHistory withDecision(DecisionRecord d) {
        var map = new HashMap<>(decisions);
        map.put(d.run(), d);
        return new StudyHistory(start, runs, map, notes);
    }

    public StudyHistory withNote(NoteRecord n) {
        var list = new ArrayList<>(notes);
        list.add(n);
        return new StudyHistory(start, runs, decisions, list);
    }

    /** What the study knew before the run with {@code ordinal} was queued: the runs before it and their decisions. */
    public StudyHistory before(int ordinal) {
        var earlier = runs.stream().filter(r -> r.ordinal() != null && r.ordinal() < ordinal).toList();
        var ids = earlier.stream().map(RunRecord::id).collect(java.util.stream.Collectors.toSet());
        var map = new HashMap<String, DecisionRecord>();
        decisions.forEach((run, d) -> {
            if (ids.contains(run)) map.put(run, d);
        });
        return new StudyHistory(start, earlier, map, notes);
    }

    // ---- reading --------------------------------------------------------------------------------------------------

    public Optional<RunRecord> run(String id) {
        int i = indexOf(id);
        return i < 0 ? Optional.empty() : Optional.of(runs.get(i));
    }

    public DecisionRecord decision(String runId) {
        return decisions.get(runId);
    }

    public boolean decided(RunRecord r) {
        return decisions.containsKey(r.id());
    }

    /** Whether there are runs and every one of them is decided. */
    public boolean allDecided(List<RunRecord> rs) {
        return !rs.isEmpty() && rs.stream().allMatch(this::decided);
    }

    public List<RunRecord> runsOf(Role role) {
        return runs.stream().filter(r -> r.role() == role).toList();
    }

    /**
     * The runs of {@code role} by recipe hash (seed included), the first of each: how the sweeps, the scale check and
     * the replication find their runs again, so that a killed study resumes without running anything twice.
     */
    public java.util.Map<String, RunRecord> runsByRecipe(Role role) {
        var out = new java.util.HashMap<String, RunRecord>();
        for (var r : runsOf(role)) out.putIfAbsent(r.recipeHash(), r);
        return out;
    }

    /** The runs of the trial {@code id}, in order. */
    public List<RunRecord> trial(String id) {
        return runs.stream().filter(r -> id.equals(r.experiment())).toList();
    }

    /** Every trial's runs, by trial id, in the order the trials began. */
    public Map<String, List<RunRecord>> trials() {
        var groups = new LinkedHashMap<String, List<RunRecord>>();
        for (var r : runs)
            if (r.ordinal() != null && r.experiment() != null)
                groups.computeIfAbsent(r.experiment(), k -> new ArrayList<>()).add(r);
        return groups;
    }

    /** Experiments with a run that is unfinished or undecided (what a resumed study settles first), in order. */
    public List<String> pendingExperiments() {
        var pending = new ArrayList<String>();
        for (var r : runs)
            if ((r.role() == Role.EXPERIMENT || r.role() == Role.CONFIRM) && !decided(r) && !pending.contains(r.experiment()))
                pending.add(r.experiment());
        return pending;
    }

    /** Runs that have ended, whatever their end. */
    public int endedRuns() {
        return (int) runs.stream().filter(r -> r.status().isFinal()).count();
    }

    /** Whether the run finished its whole budget with a metric: the runs a decision and the noise floor count. */
    public static boolean complete(RunRecord r) {
        return r.status() == RunStatus.FINISHED && r.metric() != null;
    }

    // ---- seeds and diffs ------------------------------------------------------------------------------------------

    /** {@code r} under the study's base seed plus {@code index} (index 0 is the starting recipe's own seed). */
    public Recipe withSeed(Recipe r, int index) {
        long seed = start.seed() + index;
        return r.seed() == seed ? r : r.with("seed", seed);
    }

    /** The next seed index (after the base seed) no run of the study has used. */
    public int freshSeedIndex() {
        long base = start.seed();
        return (int) runs.stream().mapToLong(r -> r.recipe().seed() - base).max().orElse(-1) + 1;
    }

    /**
     * What the run's proposer changed: its recipe against its parent's under the study's base seed (the seed of the
     * run that stood for the best is not part of the change), or against the starting recipe for a baseline.
     */
    public List<String> diffFromParent(RunRecord r) {
        var parent = r.parent() == null ? null : run(r.parent()).orElse(null);
        return parent == null ? Recipe.diff(start, r.recipe()) : Recipe.diff(withSeed(parent.recipe(), 0), r.recipe());
    }

    private int indexOf(String id) {
        for (int i = runs.size() - 1; i >= 0; i--) if (runs.get(i).id().equals(id)) return i;
        return -1;
    }
}
