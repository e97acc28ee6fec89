package dev.flywheel.lab.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.flywheel.lab.Json;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.run.EventAction;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunStatus;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The lab's database of studies, runs, metric points, guard events, decisions and notes: SQLite by default
 * (one file in the lab directory), PostgreSQL for a cluster — only the JDBC URL differs. The schema is
 * created and migrated by Flyway on {@link #open}.
 *
 * <p>Every write is its own committed transaction, so a run killed mid-step loses at most the point being
 * written. Writes a resumed study may repeat are idempotent: queueing a run with a known id, finishing a run,
 * recording a metric point or a decision twice leaves one row. SQLite runs in WAL mode (readers such as the
 * dashboard never block the writer) with a busy timeout (a child JVM writing metrics and the study loop
 * writing decisions wait for each other instead of failing) and full fsync on commit.
 *
 * <pre>{@code
 * var store = Store.open(labDir.resolve("lab.db"));
 * store.createStudy(new NewStudy("lr-sweep", "lower val bpb", Metric.VAL_BPB, "builtin", brief, space, "30m", "60s"));
 * var run = store.queueRun(new NewRun(null, "lr-sweep", recipe, null, null, "baseline", "the starting recipe", null, Role.BASELINE));
 * store.startRun(run.id());
 * store.recordMetrics(run.id(), 10, Map.of("loss", 3.2, "lr", 1e-3));
 * store.finishRun(run.id(), RunOutcome.finished(1.84, 500, 1_024_000, 60.0, "ckpt/lr-sweep-001"));
 * }</pre>
 */
public final class Store {

    private final String url;
    private final Jdbi jdbi;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    private Store(String url, Jdbi jdbi, Clock clock) {
        this.url = url;
        this.jdbi = jdbi;
        this.clock = clock;
    }

    /** Opens (creating and migrating if needed) the SQLite store in {@code file}; its folder is created too. */
    public static Store open(Path file) {
        try {
            var dir = file.toAbsolutePath().getParent();
            if (dir != null) Files.createDirectories(dir);
        } catch (IOException e) {
            throw new LabException("store folder for " + file + " cannot be created (" + e.getMessage()
                    + "); choose a lab directory you can write to");
        }
        return open("jdbc:sqlite:" + file.toAbsolutePath(), Clock.systemUTC());
    }

    /** Opens the store at a JDBC URL: {@code jdbc:sqlite:/path/lab.db} or {@code jdbc:postgresql://host/db?user=...}. */
    public static Store open(String jdbcUrl) {
        return open(jdbcUrl, Clock.systemUTC());
    }

    /** As {@link #open(String)}, stamping rows with {@code clock}'s time (tests pass a fixed clock). */
    public static Store open(String jdbcUrl, Clock clock) {
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:"))
            throw new LabException("store URL \"" + jdbcUrl + "\" is not a JDBC URL; use jdbc:sqlite:/path/lab.db "
                    + "or jdbc:postgresql://host/database");
        Jdbi jdbi;
        Flyway flyway;
        try {
            if (jdbcUrl.startsWith("jdbc:sqlite:")) {
                var config = new SQLiteConfig();
                config.setJournalMode(SQLiteConfig.JournalMode.WAL);
                config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
                config.setBusyTimeout(30_000);
                config.enforceForeignKeys(true);
                // Take the write lock when a transaction begins, not halfway through it: two processes that
                // both read-then-write would otherwise deadlock, and SQLite fails one instead of waiting.
                config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
                var ds = new SQLiteDataSource(config);
                ds.setUrl(jdbcUrl);
                jdbi = Jdbi.create(ds);
                flyway = Flyway.configure().dataSource(ds).locations("classpath:db/migration")
                        .failOnMissingLocations(true).load();
            } else {
                jdbi = Jdbi.create(jdbcUrl);
                flyway = Flyway.configure().dataSource(jdbcUrl, null, null).locations("classpath:db/migration")
                        .failOnMissingLocations(true).load();
            }
            flyway.migrate();
        } catch (FlywayException | JdbiException e) {
            throw new LabException("store " + jdbcUrl + " cannot be opened (" + firstLine(e) + "); " + advice(jdbcUrl, e,
                    "check the URL, that the database is reachable and writable, and that it was not made by a newer Flywheel"), e);
        }
        return new Store(jdbcUrl, jdbi, clock);
    }

    public String url() {
        return url;
    }

    /** The underlying Jdbi, for read-only queries this class does not offer (dashboards, reports). */
    public Jdbi jdbi() {
        return jdbi;
    }

    // ---- studies --------------------------------------------------------------------------------------------

    /** Creates the study, or returns it unchanged if one of that name exists (a resumed study). */
    public StudyRecord createStudy(NewStudy s) {
        long now = clock.millis();
        return transaction("create study " + s.name(), h -> {
            h.createUpdate("""
                            insert into studies (name, objective, metric, researcher, brief, search_space, budget, run_budget,
                                                 status, created_at, updated_at)
                            values (:name, :objective, :metric, :researcher, :brief, :space, :budget, :runBudget,
                                    'running', :now, :now)
                            on conflict (name) do nothing""")
                    .bind("name", s.name()).bind("objective", s.objective()).bind("metric", s.metric().id())
                    .bind("researcher", s.researcher()).bind("brief", s.brief()).bind("space", s.searchSpace())
                    .bind("budget", s.budget()).bind("runBudget", s.runBudget()).bind("now", now)
                    .execute();
            return study(h, s.name()).orElseThrow();
        });
    }

    public Optional<StudyRecord> study(String name) {
        return read("read study " + name, h -> study(h, name));
    }

    public List<StudyRecord> studies() {
        return read("list studies", h -> h.createQuery("select * from studies order by created_at, name")
                .map((rs, ctx) -> study(rs)).list());
    }

    /** Marks the study finished with its summary. Repeating it replaces the summary and keeps the first end time. */
    public StudyRecord finishStudy(String name, String summary) {
        long now = clock.millis();
        return transaction("finish study " + name, h -> {
            int n = h.createUpdate("""
                            update studies set status = 'finished', summary = :summary, updated_at = :now,
                                               finished_at = coalesce(finished_at, :now)
                            where name = :name""")
                    .bind("name", name).bind("summary", summary).bind("now", now).execute();
            if (n == 0) throw noStudy(name);
            return study(h, name).orElseThrow();
        });
    }

    private static Optional<StudyRecord> study(Handle h, String name) {
        return h.createQuery("select * from studies where name = :name").bind("name", name)
                .map((rs, ctx) -> study(rs)).findOne();
    }

    private static StudyRecord study(ResultSet rs) throws SQLException {
        return new StudyRecord(rs.getString("name"), rs.getString("objective"), rs.getString("metric"),
                rs.getString("researcher"), rs.getString("brief"), rs.getString("search_space"), rs.getString("budget"),
                rs.getString("run_budget"), rs.getString("status").equals("finished"), instant(rs, "created_at"),
                instant(rs, "updated_at"), instant(rs, "finished_at"), rs.getString("summary"),
                rs.getDouble("spent_seconds"));
    }

    // ---- runs -----------------------------------------------------------------------------------------------

    /**
     * Queues a run. In a study it gets the next ordinal and, unless {@code run.id()} is given, the id
     * {@code STUDY-NNN}. Queueing an id that exists returns the existing run unchanged, so a resumed study
     * that repeats the call does not duplicate it.
     */
    public RunRecord queueRun(NewRun run) {
        long now = clock.millis();
        return transaction("queue a run", h -> {
            if (run.id() != null) {
                var existing = run(h, run.id());
                if (existing.isPresent()) return existing.get();
            }
            Integer ordinal = null;
            if (run.study() != null) {
                if (study(h, run.study()).isEmpty()) throw noStudy(run.study());
                ordinal = h.createQuery("select coalesce(max(ordinal), 0) + 1 from runs where study = :study")
                        .bind("study", run.study()).mapTo(Integer.class).one();
            }
            var id = run.id() != null ? run.id()
                    : run.study() != null ? run.study() + "-" + String.format("%03d", ordinal)
                    : "run-" + randomHex();
            var recipe = run.recipe();
            h.createUpdate("""
                            insert into runs (id, study, ordinal, recipe, recipe_hash, parent, change_json, proposer,
                                              hypothesis, status, attempts, queued_at, experiment, role)
                            values (:id, :study, :ordinal, :recipe, :hash, :parent, :change, :proposer, :hypothesis,
                                    'queued', 0, :now, :experiment, :role)""")
                    .bind("id", id).bind("study", run.study()).bind("ordinal", ordinal)
                    .bind("recipe", recipe.canonicalJson()).bind("hash", recipe.hash()).bind("parent", run.parent())
                    .bind("change", run.change() == null ? null : run.change().toJson())
                    .bind("proposer", run.proposer()).bind("hypothesis", run.hypothesis()).bind("now", now)
                    .bind("experiment", run.experiment() != null ? run.experiment() : run.study() != null ? id : null).bind("role", run.role() == null ? null : run.role().id())
                    .execute();
            return run(h, id).orElseThrow();
        });
    }

    /**
     * Marks a queued (or interrupted) run running and counts the attempt.
     *
     * @throws LabException if the run does not exist or has already ended — an ended run is a result, never redone
     */
    public RunRecord startRun(String id) {
        long now = clock.millis();
        return transaction("start run " + id, h -> {
            var run = run(h, id).orElseThrow(() -> noRun(id));
            if (run.status().isFinal())
                throw new LabException("run " + id + " already ended (" + run.status().id() + "); queue a new run to repeat it");
            h.createUpdate("""
                            update runs set status = 'running', attempts = attempts + 1, started_at = :now,
                                            finished_at = null, error = null
                            where id = :id""")
                    .bind("id", id).bind("now", now).execute();
            return run(h, id).orElseThrow();
        });
    }

    /**
     * Records how a run ended. Finishing it again (a resumed study repeating itself) rewrites the same row
     * and keeps the first end time: there is never a second result for one run. A run stopped early is written as
     * {@code finished} with {@code stopped_at} set (the column's words predate {@code stopped}) and read back as
     * {@link RunStatus#STOPPED}.
     */
    public RunRecord finishRun(String id, RunOutcome outcome) {
        long now = clock.millis();
        String status = outcome.status() == RunStatus.STOPPED ? RunStatus.FINISHED.id() : outcome.status().id();
        return transaction("finish run " + id, h -> {
            int n = h.createUpdate("""
                            update runs set status = :status, metric = :metric, steps = :steps, tokens = :tokens,
                                            train_seconds = :seconds, checkpoint_path = :checkpoint, error = :error,
                                            stopped_at = :stoppedAt, finished_at = coalesce(finished_at, :now)
                            where id = :id""")
                    .bind("id", id).bind("status", status).bind("metric", finite(outcome.metric()))
                    .bind("steps", outcome.steps()).bind("tokens", outcome.tokens())
                    .bind("seconds", outcome.trainSeconds()).bind("checkpoint", outcome.checkpointPath())
                    .bind("error", outcome.error()).bind("stoppedAt", finite(outcome.stoppedAt())).bind("now", now).execute();
            if (n == 0) throw noRun(id);
            return run(h, id).orElseThrow();
        });
    }

    /** Records the study time budget spent so far, so a resumed study goes on counting from there. */
    public void setSpentSeconds(String study, double seconds) {
        transaction("record the time spent by " + study, h -> {
            int n = h.createUpdate("update studies set spent_seconds = :s, updated_at = :now where name = :name")
                    .bind("name", study).bind("s", seconds).bind("now", clock.millis()).execute();
            if (n == 0) throw noStudy(study);
            return null;
        });
    }

    /** Records the held-out test metric of a run (the study's final best), measured once at the end. */
    public RunRecord setTestMetric(String id, double value) {
        return transaction("record the test metric of run " + id, h -> {
            int n = h.createUpdate("update runs set test_metric = :v where id = :id")
                    .bind("id", id).bind("v", finite(value)).execute();
            if (n == 0) throw noRun(id);
            return run(h, id).orElseThrow();
        });
    }

    /**
     * Forgets what an interrupted attempt recorded after {@code step}: metric points and events past the
     * checkpoint a run restarts from ({@code -1} when it restarts from scratch), so the retry's points are
     * not mixed with the dead attempt's.
     */
    public void discardAfter(String runId, long step) {
        transaction("discard the records of run " + runId + " after step " + step, h -> {
            h.createUpdate("delete from metric_points where run = :run and step > :step").bind("run", runId).bind("step", step).execute();
            h.createUpdate("delete from events where run = :run and step > :step").bind("run", runId).bind("step", step).execute();
            return null;
        });
    }

    public Optional<RunRecord> run(String id) {
        return read("read run " + id, h -> run(h, id));
    }

    /** The study's runs in the order they were queued. */
    public List<RunRecord> runs(String study) {
        return read("list the runs of " + study, h -> h.createQuery("select * from runs where study = :study order by ordinal")
                .bind("study", study).map((rs, ctx) -> run(rs)).list());
    }

    /** Every run, studies' and single training runs alike, oldest first. */
    public List<RunRecord> runs() {
        return read("list runs", h -> h.createQuery("select * from runs order by queued_at, id").map((rs, ctx) -> run(rs)).list());
    }

    /** The study's runs that are queued or were running when the study stopped: what a resumed study redoes. */
    public List<RunRecord> unfinishedRuns(String study) {
        return read("list the unfinished runs of " + study, h -> h.createQuery("""
                        select * from runs where study = :study and status in ('queued', 'running') order by ordinal""")
                .bind("study", study).map((rs, ctx) -> run(rs)).list());
    }

    private static Optional<RunRecord> run(Handle h, String id) {
        return h.createQuery("select * from runs where id = :id").bind("id", id).map((rs, ctx) -> run(rs)).findOne();
    }

    private static RunRecord run(ResultSet rs) throws SQLException {
        Double stoppedAt = doubleOrNull(rs, "stopped_at");
        return new RunRecord(rs.getString("id"), rs.getString("study"), integerOrNull(rs, "ordinal"), rs.getString("recipe"),
                rs.getString("recipe_hash"), rs.getString("parent"), rs.getString("change_json"), rs.getString("proposer"),
                rs.getString("hypothesis"), status(rs.getString("status"), stoppedAt), rs.getInt("attempts"),
                doubleOrNull(rs, "metric"), doubleOrNull(rs, "test_metric"), longOrNull(rs, "steps"),
                longOrNull(rs, "tokens"), doubleOrNull(rs, "train_seconds"), instant(rs, "queued_at"),
                instant(rs, "started_at"), instant(rs, "finished_at"), rs.getString("checkpoint_path"), rs.getString("error"),
                rs.getString("experiment"), Role.of(rs.getString("role")), stoppedAt);
    }

    /** A row's status: {@code finished} with {@code stopped_at} set is a run stopped early. */
    private static RunStatus status(String column, Double stoppedAt) {
        var status = RunStatus.of(column);
        return status == RunStatus.FINISHED && stoppedAt != null ? RunStatus.STOPPED : status;
    }

    // ---- metric points --------------------------------------------------------------------------------------

    public void recordMetric(String runId, long step, String name, double value) {
        recordMetrics(runId, step, Map.of(name, value));
    }

    /** Records several metrics of one step in one commit; writing a step again replaces its values. */
    public void recordMetrics(String runId, long step, Map<String, Double> values) {
        if (values.isEmpty()) return;
        transaction("record metrics of run " + runId, h -> {
            var batch = h.prepareBatch("""
                    insert into metric_points (run, name, step, value) values (:run, :name, :step, :value)
                    on conflict (run, name, step) do update set value = excluded.value""");
            values.forEach((name, value) -> batch.bind("run", runId).bind("name", name).bind("step", step)
                    .bind("value", finite(value)).add());
            batch.execute();
            return null;
        });
    }

    /**
     * Records many points (of any runs and steps) in one commit: how a running trainer flushes what it measured
     * since the last flush, so a step costs no transaction of its own. Writing a point again replaces its value.
     */
    public void recordMetricPoints(List<MetricPoint> points) {
        if (points.isEmpty()) return;
        transaction("record " + points.size() + " metric points", h -> {
            var batch = h.prepareBatch("""
                    insert into metric_points (run, name, step, value) values (:run, :name, :step, :value)
                    on conflict (run, name, step) do update set value = excluded.value""");
            for (var p : points)
                batch.bind("run", p.run()).bind("name", p.name()).bind("step", p.step()).bind("value", finite(p.value())).add();
            batch.execute();
            return null;
        });
    }

    /** Every point of a run, by name then step. */
    public List<MetricPoint> metrics(String runId) {
        return read("read metrics of run " + runId, h -> h.createQuery(
                        "select * from metric_points where run = :run order by name, step")
                .bind("run", runId).map((rs, ctx) -> point(rs)).list());
    }

    /** One metric of a run, by step. */
    public List<MetricPoint> metrics(String runId, String name) {
        return read("read metric " + name + " of run " + runId, h -> h.createQuery(
                        "select * from metric_points where run = :run and name = :name order by step")
                .bind("run", runId).bind("name", name).map((rs, ctx) -> point(rs)).list());
    }

    private static MetricPoint point(ResultSet rs) throws SQLException {
        var value = doubleOrNull(rs, "value");
        return new MetricPoint(rs.getString("run"), rs.getString("name"), rs.getLong("step"), value == null ? Double.NaN : value);
    }

    // ---- events ---------------------------------------------------------------------------------------------

    /** Appends an event to a run; events are numbered from 1 in the order they are recorded. */
    public EventRecord recordEvent(String runId, RunEvent event) {
        long now = clock.millis();
        return transaction("record an event of run " + runId, h -> {
            if (run(h, runId).isEmpty()) throw noRun(runId);
            int seq = h.createQuery("select coalesce(max(seq), 0) + 1 from events where run = :run")
                    .bind("run", runId).mapTo(Integer.class).one();
            h.createUpdate("""
                            insert into events (run, seq, step, kind, rule, measured, action, message, recorded_at)
                            values (:run, :seq, :step, :kind, :rule, :measured, :action, :message, :now)""")
                    .bind("run", runId).bind("seq", seq).bind("step", event.step()).bind("kind", event.kind().id())
                    .bind("rule", event.rule()).bind("measured", Json.write(new LinkedHashMap<>(event.measured())))
                    .bind("action", event.action().id()).bind("message", event.message()).bind("now", now).execute();
            return new EventRecord(runId, seq, event, Instant.ofEpochMilli(now));
        });
    }

    public List<EventRecord> events(String runId) {
        return read("read events of run " + runId, h -> h.createQuery("select * from events where run = :run order by seq")
                .bind("run", runId).map((rs, ctx) -> new EventRecord(rs.getString("run"), rs.getInt("seq"),
                        new RunEvent(rs.getLong("step"), EventKind.parse(rs.getString("kind")), rs.getString("rule"),
                                measured(rs.getString("measured")), EventAction.parse(rs.getString("action")),
                                rs.getString("message")),
                        instant(rs, "recorded_at"))).list());
    }

    private static Map<String, Object> measured(String json) {
        if (json == null) return Map.of();
        try {
            return Json.MAPPER.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored event values are not JSON: " + json, e);
        }
    }

    // ---- decisions and notes --------------------------------------------------------------------------------

    /** Records the verdict on a run; deciding the same run again replaces the verdict. */
    public void recordDecision(DecisionRecord d) {
        transaction("record the decision on run " + d.run(), h -> h.createUpdate("""
                        insert into decisions (study, run, decision, metric, best_before, delta, noise_floor, rationale, decided_at)
                        values (:study, :run, :decision, :metric, :best, :delta, :noise, :rationale, :at)
                        on conflict (study, run) do update set decision = excluded.decision, metric = excluded.metric,
                            best_before = excluded.best_before, delta = excluded.delta, noise_floor = excluded.noise_floor,
                            rationale = excluded.rationale, decided_at = excluded.decided_at""")
                .bind("study", d.study()).bind("run", d.run()).bind("decision", d.decision().id())
                .bind("metric", finite(d.metric())).bind("best", finite(d.bestBefore())).bind("delta", finite(d.delta()))
                .bind("noise", finite(d.noiseFloor())).bind("rationale", d.rationale())
                .bind("at", (d.decidedAt() == null ? clock.instant() : d.decidedAt()).toEpochMilli()).execute());
    }

    /** The study's decisions in run order. */
    public List<DecisionRecord> decisions(String study) {
        return read("read the decisions of " + study, h -> h.createQuery("""
                        select d.* from decisions d join runs r on r.id = d.run where d.study = :study order by r.ordinal""")
                .bind("study", study).map((rs, ctx) -> new DecisionRecord(rs.getString("study"), rs.getString("run"),
                        Decision.of(rs.getString("decision")), doubleOrNull(rs, "metric"), doubleOrNull(rs, "best_before"),
                        doubleOrNull(rs, "delta"), doubleOrNull(rs, "noise_floor"), rs.getString("rationale"),
                        instant(rs, "decided_at"))).list());
    }

    public NoteRecord addNote(String study, String runId, String author, String body) {
        long now = clock.millis();
        return transaction("add a note to " + study, h -> {
            if (study(h, study).isEmpty()) throw noStudy(study);
            int seq = h.createQuery("select coalesce(max(seq), 0) + 1 from notes where study = :study")
                    .bind("study", study).mapTo(Integer.class).one();
            h.createUpdate("""
                            insert into notes (study, seq, run, author, body, recorded_at)
                            values (:study, :seq, :run, :author, :body, :now)""")
                    .bind("study", study).bind("seq", seq).bind("run", runId).bind("author", author)
                    .bind("body", body).bind("now", now).execute();
            return new NoteRecord(study, seq, runId, author, body, Instant.ofEpochMilli(now));
        });
    }

    public List<NoteRecord> notes(String study) {
        return read("read the notes of " + study, h -> h.createQuery("select * from notes where study = :study order by seq")
                .bind("study", study).map((rs, ctx) -> new NoteRecord(rs.getString("study"), rs.getInt("seq"),
                        rs.getString("run"), rs.getString("author"), rs.getString("body"), instant(rs, "recorded_at")))
                .list());
    }

    // ---- plumbing -------------------------------------------------------------------------------------------

    private <T> T transaction(String what, HandleCallback<T, RuntimeException> work) {
        try {
            return jdbi.inTransaction(work);
        } catch (JdbiException e) {
            throw failure(what, e);
        }
    }

    private <T> T read(String what, HandleCallback<T, RuntimeException> work) {
        try {
            return jdbi.withHandle(work);
        } catch (JdbiException e) {
            throw failure(what, e);
        }
    }

    private LabException failure(String what, Exception e) {
        return new LabException("store " + url + " could not " + what + " (" + firstLine(e) + "); "
                + advice(url, e, "check that the disk has space and that the database is reachable"), e);
    }

    /**
     * What to do about a store error: for a full disk or a damaged SQLite file, the specific way out; else
     * {@code otherwise}.
     */
    public static String advice(String url, Throwable e, String otherwise) {
        var text = firstLine(e);
        if (text.contains("SQLITE_FULL") || text.contains("No space left") || text.contains("SQLITE_IOERR") && nearlyFull(url))
            return "the disk is full: free some space and run the command again (what the store held before is intact)";
        if (url.startsWith("jdbc:sqlite:") && (text.contains("SQLITE_CORRUPT") || text.contains("SQLITE_NOTADB"))) {
            var file = url.substring("jdbc:sqlite:".length());
            // .dump, not .recover: Debian's sqlite3 3.40 fails .recover on these files, .dump saves every readable row
            return "the file is damaged: move it aside and copy out what SQLite can still read with `mv " + file + " "
                    + file + ".damaged; [ -e " + file + "-wal ] && mv " + file + "-wal " + file + ".damaged-wal; sqlite3 "
                    + file + ".damaged .dump | sqlite3 " + file + "`, then resume (a study whose rows were lost cannot "
                    + "resume, but its folder keeps its journal.md, results.tsv and runs)";
        }
        return otherwise;
    }

    /** Whether the disk under a SQLite store has less than a megabyte left: SQLite reports that as an I/O error too. */
    private static boolean nearlyFull(String url) {
        if (!url.startsWith("jdbc:sqlite:")) return false;
        try {
            var dir = Path.of(url.substring("jdbc:sqlite:".length())).toAbsolutePath().getParent();
            return dir != null && Files.getFileStore(dir).getUsableSpace() < 1 << 20;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static LabException noStudy(String name) {
        return new LabException("study " + name + " does not exist in the store; create it first, or check the name with `flywheel studies`");
    }

    private static LabException noRun(String id) {
        return new LabException("run " + id + " does not exist in the store; check the id with `flywheel study show STUDY`");
    }

    private String randomHex() {
        var bytes = new byte[4];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static String firstLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        var message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return message.lines().findFirst().orElse(message).strip();
    }

    /** NaN and infinities are stored as null (SQLite cannot hold NaN); readers turn a null metric point back into NaN. */
    private static Double finite(Double value) {
        return value == null || !Double.isFinite(value) ? null : value;
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long millis = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
    }

    private static Long longOrNull(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    private static Integer integerOrNull(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }

    private static Double doubleOrNull(ResultSet rs, String column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }
}
