package dev.flywheel.agent;

import dev.flywheel.lab.research.Researchers;
import dev.flywheel.lab.study.Lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The conversation that drives a study, the same for every provider: the model calls the lab's tools
 * ({@link LabTools}) until the budget is spent or it calls finish, and nothing that goes wrong with the model ends
 * the study.
 *
 * <ul>
 * <li><b>Stable prefix.</b> The system text (the researcher's instructions, then the research brief) and the tool
 * definitions are the same bytes in every call of a study, so the provider can cache them.</li>
 * <li><b>Memory.</b> Every {@code memoryEvery} experiments, or once a call reads {@code memoryAtTokens} of context,
 * the conversation restarts from a compact memory built from the study's record ({@link Memory}).</li>
 * <li><b>Faults.</b> Passing faults (429, 529, 5xx, timeouts, dropped connections) are retried with backoff,
 * honouring retry-after; when the model stays unreachable for longer than {@code fallbackAfter}, or rejects the
 * key, or the LLM budget is spent, the built-in researcher continues the study and the journal says so. Malformed
 * tool input, unknown tools and rejected changes go back to the model as error results; a reply cut off at
 * max_tokens is answered with error results for its unfinished calls and a larger limit; a refusal restarts the
 * conversation from memory (three in a row hand over to the built-in researcher).</li>
 * <li><b>Cost.</b> Every call's usage is written to {@code llm-usage.tsv}; the sum goes into the journal at each
 * restart and at the end.</li>
 * </ul>
 */
final class AgentLoop {

    /** Who writes the loop's own notes in the journal (the model writes as its model id). */
    static final String AUTHOR = "agent";
    private static final int MAX_IDLE = 2, MAX_REFUSALS = 3, MAX_WRAP_UP = 2;

    private final String provider;
    private final String model;
    private final Chat.Api api;
    private final LlmSettings settings;
    private final Prices prices;
    private final Random random = new Random(17);

    AgentLoop(String provider, String model, Chat.Api api, LlmSettings settings) {
        this.provider = provider;
        this.model = model;
        this.api = api;
        this.settings = settings;
        this.prices = settings.pricesFor(provider);
    }

    /** The researcher's instructions and the brief: the stable head of every request. */
    static String system(String brief) {
        try (InputStream in = AgentLoop.class.getResourceAsStream("instructions.md")) {
            var instructions = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            return instructions + "\n\n# The research brief\n\n" + (brief == null || brief.isBlank() ? "(no brief: the defaults)" : brief.strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Why the model is no longer asked. */
    private static final class HandOver extends RuntimeException {
        HandOver(String why) {
            super(why);
        }
    }

    void run(Lab study) {
        var ledger = new UsageLedger(study.directory(), prices);
        var transcript = new Transcript(study.directory());
        var usageNoted = new boolean[1];
        Runnable noteUsage = () -> {
            if (!usageNoted[0] && ledger.calls() > 0)
                study.note(AUTHOR, "LLM usage of " + model + ": " + ledger.describe(settings.budget()) + ".");
            usageNoted[0] = true;
        };
        var tools = new LabTools(study, model, noteUsage);
        var system = system(settings.brief() != null ? settings.brief() : study.settings().brief().text());
        var session = new Session(study, tools, ledger, transcript, system);
        String handOver = null;
        try {
            session.converse();
        } catch (HandOver h) {
            handOver = h.getMessage();
        } finally {
            if (!study.finished()) noteUsage.run();
        }
        if (handOver != null && !study.finished() && study.canRunExperiment()) {
            study.note(AUTHOR, handOver + " The built-in researcher continues the study from here.");
            transcript.write("fallback", "why", handOver);
            Researchers.create("builtin", settings.seed()).research(study);
        }
    }

    /** One study's conversation and its counters. */
    private final class Session {
        private final Lab study;
        private final LabTools tools;
        private final UsageLedger ledger;
        private final Transcript transcript;
        private final String system;
        private final List<Chat.Message> messages = new ArrayList<>();
        private int restarts, experimentsSinceRestart, idle, refusals, wrapUp, contextFaults, badRequests;
        private long lastContext;
        private int maxTokens;

        Session(Lab study, LabTools tools, UsageLedger ledger, Transcript transcript, String system) {
            this.study = study;
            this.tools = tools;
            this.ledger = ledger;
            this.transcript = transcript;
            this.system = system;
            this.maxTokens = settings.maxTokens();
        }

        void converse() {
            var opening = Memory.build(study, 0, List.of(), null) + "\n\nThe baseline is done. Design the next experiment: "
                    + "start with study_state, then use run_experiment.";
            messages.add(new Chat.UserText(opening));
            transcript.write("start", "model", model, "provider", provider, "budget", settings.budget().describe());
            while (true) {
                if (tools.finished() || study.finished()) return;
                boolean canRun = study.canRunExperiment();
                if (!canRun && wrapUp >= MAX_WRAP_UP) return;
                if (settings.budget().spent(ledger.total(), prices))
                    throw new HandOver("The LLM budget of " + settings.budget().describe() + " is spent ("
                            + ledger.describe(settings.budget()) + ").");
                if (experimentsSinceRestart >= settings.memoryEvery() || lastContext >= settings.memoryAtTokens())
                    restart(String.format(Locale.ROOT, "after %d experiments and a context of %,d tokens",
                            experimentsSinceRestart, lastContext));

                var request = new Chat.Request(system, LabTools.SPECS, List.copyOf(messages), maxTokens,
                        canRun ? null : LabTools.FINISH);
                Chat.Reply reply;
                long t0 = System.nanoTime();
                try {
                    reply = sendWithRetries(request);
                } catch (Chat.Fault f) {
                    handleFault(f);
                    continue;
                }
                contextFaults = 0;
                badRequests = 0;
                ledger.record(model, reply.usage(), reply.stopDetail(), (System.nanoTime() - t0) / 1e9);
                lastContext = reply.usage().context();
                transcript.write("reply", "stop", reply.stopDetail(), "text", reply.turn().text(),
                        "calls", reply.turn().calls(), "usage", reply.usage());
                if (!handleStop(reply)) continue;
                refusals = 0;
                var turn = reply.turn();
                messages.add(turn);
                if (turn.calls().isEmpty()) {
                    if (!study.canRunExperiment()) return;
                    if (++idle > MAX_IDLE)
                        throw new HandOver(model + " stopped using the tools (" + idle + " replies in a row without a tool call).");
                    messages.add(new Chat.UserText("Please continue through the tools: run the next experiment with "
                            + "run_experiment, or call finish if nothing is worth trying."));
                    continue;
                }
                idle = 0;
                var results = new ArrayList<Chat.ToolResult>();
                for (var call : turn.calls()) {
                    var outcome = tools.call(call);
                    if (outcome.ranExperiment()) experimentsSinceRestart++;
                    if (outcome.error() && (outcome.tool().isEmpty() || !LabTools.NAMES.contains(outcome.tool())
                            || outcome.content().contains(" was not run: ")))
                        study.note(AUTHOR, model + " made a call the lab could not run (" + LabTools.clip(call.name(), 40)
                                + " " + LabTools.clip(String.valueOf(call.arguments()), 160) + "): " + LabTools.clip(outcome.content(), 300));
                    transcript.write("tool", "id", call.id(), "name", call.name(), "error", outcome.error(),
                            "content", LabTools.clip(outcome.content(), 4000));
                    results.add(new Chat.ToolResult(call.id(), outcome.content(), outcome.error()));
                }
                if (tools.finished()) return;
                String trailing = null;
                if (!study.canRunExperiment() && !study.finished()) {
                    wrapUp++;
                    trailing = "The study budget is now spent: no further experiment fits. Call finish with your summary "
                            + "of what worked, what did not and why, and what to try next.";
                }
                messages.add(new Chat.ToolResults(results, trailing));
            }
        }

        /** Sends, retrying passing faults; throws the first fault that is not passing, or HandOver when unreachable too long. */
        private Chat.Reply sendWithRetries(Chat.Request request) {
            long firstFailure = -1;
            int attempt = 0;
            var faults = new ArrayList<String>();
            while (true) {
                long start = System.nanoTime();
                try {
                    var reply = api.send(request);
                    if (!faults.isEmpty()) {
                        study.note(AUTHOR, String.format(Locale.ROOT, "%s answered after %d failed call%s (%s), %.1f s lost; "
                                        + "retried with backoff.", model, faults.size(), faults.size() == 1 ? "" : "s",
                                String.join("; ", faults), (System.nanoTime() - firstFailure) / 1e9));
                    }
                    return reply;
                } catch (Chat.Fault f) {
                    if (f.kind != Chat.Fault.Kind.TRANSIENT) throw f;
                    if (firstFailure < 0) firstFailure = start;
                    var elapsed = Duration.ofNanos(System.nanoTime() - firstFailure);
                    var limit = settings.retry().fallbackAfter();
                    var delay = f.retryAfter != null ? f.retryAfter : settings.retry().backoff(attempt, random.nextDouble());
                    if (f.retryAfter == null) delay = min(delay, limit.minus(elapsed));
                    String what = f.describe() + (f.retryAfter != null
                            ? String.format(Locale.ROOT, ", waited %.1f s as its retry-after asked", f.retryAfter.toMillis() / 1000.0) : "");
                    faults.add(LabTools.clip(what, 200));
                    transcript.write("fault", "status", f.status, "message", LabTools.clip(f.getMessage(), 500),
                            "retry_after_ms", f.retryAfter == null ? null : f.retryAfter.toMillis(),
                            "elapsed_ms", elapsed.toMillis(), "next_delay_ms", delay.toMillis());
                    if (elapsed.compareTo(limit) >= 0 || elapsed.plus(delay).compareTo(limit) > 0 && f.retryAfter != null)
                        throw new HandOver(String.format(Locale.ROOT, "%s has been unreachable for %.1f s (%d failed call%s, "
                                        + "the last: %s), longer than the %s allowed.", model, elapsed.toMillis() / 1000.0,
                                faults.size(), faults.size() == 1 ? "" : "s", LabTools.clip(f.describe(), 200),
                                describe(limit)));
                    sleep(delay);
                    attempt++;
                }
            }
        }

        private void handleFault(Chat.Fault f) {
            transcript.write("fault", "status", f.status, "kind", f.kind.name(), "message", LabTools.clip(f.getMessage(), 500));
            switch (f.kind) {
                case CONTEXT_TOO_LONG -> {
                    if (++contextFaults > 1)
                        throw new HandOver(model + " rejected even a fresh conversation as too long (" + LabTools.clip(f.describe(), 200) + ").");
                    restart("because the conversation was too long for the model (" + LabTools.clip(f.describe(), 160) + ")");
                }
                case BAD_REQUEST -> {
                    if (++badRequests > 1)
                        throw new HandOver("The API rejected the request twice (" + LabTools.clip(f.describe(), 200) + ").");
                    restart("because the API rejected the request (" + LabTools.clip(f.describe(), 160) + ")");
                }
                default -> throw new HandOver("The API refused to serve " + model + " (" + LabTools.clip(f.describe(), 200)
                        + "); check the key, the model id and the endpoint.");
            }
        }

        /** Handles the stop reason; false when the reply is not to be added to the conversation as it is. */
        private boolean handleStop(Chat.Reply reply) {
            switch (reply.stop()) {
                case REFUSAL -> {
                    study.note(AUTHOR, model + " declined to answer (stop reason " + LabTools.clip(reply.stopDetail(), 200)
                            + "); its reply is dropped and the conversation restarts from memory.");
                    if (++refusals >= MAX_REFUSALS)
                        throw new HandOver(model + " declined " + refusals + " times in a row.");
                    restart("after a refusal");
                    return false;
                }
                case CONTEXT_FULL -> {
                    if (++contextFaults > 1)
                        throw new HandOver(model + " ran out of context even in a fresh conversation.");
                    restart("because the model's context window was full");
                    return false;
                }
                case MAX_TOKENS -> {
                    int before = maxTokens;
                    // doubled up to 16k (or the limit given, if higher): past ~21k the API wants streaming
                    maxTokens = Math.min(maxTokens * 2, Math.max(settings.maxTokens(), 16_384));
                    var turn = reply.turn();
                    study.note(AUTHOR, String.format(Locale.ROOT, "%s's reply was cut off at its output limit of %d tokens%s; "
                                    + "%s the limit is now %d.", model, before,
                            turn.calls().isEmpty() ? "" : " in the middle of " + turn.calls().size() + " tool call(s)",
                            turn.calls().isEmpty() ? "it was asked to go on, briefly;" : "the calls were not run and it was asked to repeat them, briefly;",
                            maxTokens));
                    messages.add(turn);
                    if (turn.calls().isEmpty()) {
                        messages.add(new Chat.UserText("Your reply was cut off at the output limit. Go on, briefly, and act through the tools."));
                    } else {
                        var results = turn.calls().stream().map(c -> new Chat.ToolResult(c.id(), "Not run: your reply was cut off "
                                + "at the output limit before this call was complete. Make the call again, with a shorter hypothesis.", true)).toList();
                        messages.add(new Chat.ToolResults(results, null));
                    }
                    return false;
                }
                default -> {
                    return true;
                }
            }
        }

        /** Starts a fresh conversation from the study's memory and the last exchange. */
        private void restart(String why) {
            restarts++;
            var last = lastExchange();
            var memory = Memory.build(study, restarts, tools.rejections(), last);
            messages.clear();
            messages.add(new Chat.UserText(memory + "\n\nGo on with the study from here."));
            study.note(AUTHOR, String.format(Locale.ROOT, "Conversation with %s restarted from memory (restart %d) %s, so the "
                    + "context stays short; the memory is built from this journal. LLM usage so far: %s.", model, restarts, why,
                    ledger.describe(settings.budget())));
            transcript.write("restart", "restart", restarts, "why", why, "memory", memory);
            experimentsSinceRestart = 0;
            lastContext = 0;
            idle = 0;
            wrapUp = Math.min(wrapUp, MAX_WRAP_UP - 1);
        }

        /** The last tool calls and their results, clipped, for the memory. */
        private String lastExchange() {
            if (messages.size() < 2 || !(messages.getLast() instanceof Chat.ToolResults results)) return null;
            if (!(messages.get(messages.size() - 2) instanceof Chat.AssistantTurn turn)) return null;
            var out = new StringBuilder();
            for (int i = 0; i < turn.calls().size() && i < results.results().size(); i++) {
                var c = turn.calls().get(i);
                var r = results.results().get(i);
                out.append("- You called ").append(c.name()).append(' ').append(LabTools.clip(String.valueOf(c.arguments()), 600))
                        .append("\n  Result").append(r.error() ? " (error)" : "").append(": ")
                        .append(LabTools.clip(r.content(), 1500)).append('\n');
            }
            return out.toString();
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : (b.isNegative() ? Duration.ZERO : b);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(Math.max(0, d.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HandOver("The study was interrupted while waiting to retry.");
        }
    }

    private static String describe(Duration d) {
        long s = d.toSeconds();
        if (s >= 60 && s % 60 == 0) return (s / 60) + " min";
        return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
