package dev.flywheel.agent;

/**
 * The fake Messages API as a process, for trying the command line without a network:
 *
 * <pre>
 * java -cp agent/target/test-classes:agent/target/classes:$(deps) dev.flywheel.agent.FakeAnthropicMain test 8765 &amp;
 * ANTHROPIC_BASE_URL=http://127.0.0.1:8765 ANTHROPIC_API_KEY=test ./flywheel research --researcher claude --budget 3m --run-budget 20s
 * </pre>
 *
 * It plays {@link GenericModel} — study_state, then one learning rate after another until the budget is spent,
 * then finish — checks every request against the wire format and prints each request and any violation.
 * Arguments: the key it expects, and a port (0 for any).
 */
public final class FakeAnthropicMain {

    private FakeAnthropicMain() {
    }

    public static void main(String[] args) throws Exception {
        var key = args.length > 0 ? args[0] : "test";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        var fake = new FakeAnthropic(key, port);
        var policy = GenericModel.claude(fake);
        fake.whenDone(r -> {
            var a = policy.answer(r);
            System.out.println("request " + r.index() + ": " + r.body().path("messages").size() + " messages → "
                    + (a instanceof FakeServer.Respond resp ? resp.body().replaceAll(".*\"name\":\"([a-z_]+)\".*", "$1") : a));
            return a;
        });
        System.out.println("fake Anthropic API at " + fake.baseUrl());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println(fake.received.size() + " requests, " + fake.violations.size() + " violations");
            fake.violations.forEach(v -> System.out.println("violation: " + v));
        }));
        Thread.currentThread().join();
    }
}
