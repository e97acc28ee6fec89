package dev.flywheel.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * A local stand-in for an LLM API (JDK {@code com.sun.net.httpserver}, no dependency): it checks every request
 * against the API's wire format, records the violations, and answers from a script — model replies, error
 * statuses with their headers, dropped connections, answers that never come.
 */
abstract class FakeServer implements AutoCloseable {

    /** One request as it arrived. */
    record Received(int index, long nanos, Map<String, List<String>> headers, JsonNode body, String raw) {
        String header(String name) {
            for (var e : headers.entrySet())
                if (e.getKey().equalsIgnoreCase(name)) return e.getValue().isEmpty() ? null : e.getValue().getFirst();
            return null;
        }
    }

    /** What to do with one request. */
    sealed interface Action permits Respond, Drop, Hang {}

    record Respond(int status, Map<String, String> headers, String body) implements Action {}

    /** Close the connection without an answer. */
    record Drop() implements Action {}

    /** Answer nothing for this long, then close. */
    record Hang(long millis) implements Action {}

    /** One scripted answer; it may check the request (throwing AssertionError records a violation). */
    interface Step {
        Action answer(Received request);
    }

    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    final List<Received> received = Collections.synchronizedList(new ArrayList<>());
    final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final Deque<Step> script = new ConcurrentLinkedDeque<>();
    private volatile Step whenDone;

    FakeServer(String path) {
        this(path, 0);
    }

    FakeServer(String path, int port) {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.createContext(path, this::handle);
        server.setExecutor(pool);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    FakeServer then(Step... steps) {
        script.addAll(List.of(steps));
        return this;
    }

    /** What to answer once the script is used up. */
    FakeServer whenDone(Step step) {
        whenDone = step;
        return this;
    }

    int remaining() {
        return script.size();
    }

    /** Checks a request against the API's wire format; each problem is one string. */
    abstract List<String> validate(Received r);

    /** What the API answers to a request that fails validation. */
    abstract Respond invalid(String problem);

    private void handle(HttpExchange ex) throws IOException {
        try {
            var raw = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            JsonNode body;
            try {
                body = Json.MAPPER.readTree(raw);
            } catch (IOException e) {
                body = null;
            }
            Received r;
            synchronized (received) {
                r = new Received(received.size(), System.nanoTime(), Map.copyOf(ex.getRequestHeaders()), body, raw);
                received.add(r);
            }
            var problems = body == null ? List.of("the request body is not JSON") : validate(r);
            Action action;
            if (!problems.isEmpty()) {
                problems.forEach(p -> violations.add("request " + r.index() + ": " + p));
                action = invalid(String.join("; ", problems));
            } else {
                var step = script.poll();
                if (step == null) step = whenDone;
                if (step == null) {
                    violations.add("request " + r.index() + ": the script is used up");
                    action = new Respond(500, Map.of(), "{\"error\":\"script used up\"}");
                } else {
                    try {
                        action = step.answer(r);
                    } catch (AssertionError | RuntimeException e) {
                        violations.add("request " + r.index() + ": " + e.getMessage());
                        action = invalid(String.valueOf(e.getMessage()));
                    }
                }
            }
            switch (action) {
                case Respond resp -> {
                    var bytes = resp.body().getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().set("content-type", "application/json");
                    resp.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
                    ex.sendResponseHeaders(resp.status(), bytes.length);
                    try (var out = ex.getResponseBody()) {
                        out.write(bytes);
                    }
                }
                case Drop d -> ex.close();
                case Hang h -> {
                    try {
                        Thread.sleep(h.millis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    ex.close();
                }
            }
        } catch (IOException | RuntimeException e) {
            ex.close();
        }
    }

    /** A step that checks the request first. */
    static Step checking(Consumer<Received> check, Step then) {
        return r -> {
            check.accept(r);
            return then.answer(r);
        };
    }

    static ObjectNode object() {
        return Json.MAPPER.createObjectNode();
    }

    static ArrayNode array() {
        return Json.MAPPER.createArrayNode();
    }

    static JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
