package dev.flywheel.agent;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted Claude that can run any study: it looks at the study, then proposes learning rates in turn until the
 * study says no further experiment fits, then finishes. For tests that need a whole study but no particular plot.
 */
final class GenericModel {

    private GenericModel() {
    }

    static final double[] RATES = {0.003, 0.0006, 0.002, 0.005, 0.0015, 0.004, 0.0008};

    static FakeServer.Step claude(FakeAnthropic fake) {
        var n = new AtomicInteger();
        return r -> {
            var results = FakeAnthropic.toolResults(r);
            var last = results.isEmpty() ? "" : FakeAnthropic.text(results.getLast());
            var user = FakeAnthropic.lastUserText(r);
            if (results.isEmpty() && !user.contains("budget is now spent"))
                return fake.reply("Looking at the study.", FakeAnthropic.call("study_state", "{}")).answer(r);
            if (last.contains("\"can_run_another_experiment\":false") || user.contains("budget is now spent")
                    || last.contains("budget is spent") || "tool".equals(r.body().path("tool_choice").path("type").asText()))
                return fake.reply("", FakeAnthropic.call("finish", "{\"summary\": \"Scripted study: learning rates tried in turn.\"}")).answer(r);
            var lr = java.math.BigDecimal.valueOf(RATES[n.getAndIncrement() % RATES.length]).toPlainString();
            return fake.reply("", FakeAnthropic.call("run_experiment", "{\"hypothesis\": \"Learning rate " + lr
                    + " may train faster within the budget.\", \"changes\": {\"optimizer.lr\": " + lr + "}}")).answer(r);
        };
    }
}
