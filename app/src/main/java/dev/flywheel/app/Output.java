package dev.flywheel.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.flywheel.lab.journal.ResearcherText;

import java.io.PrintStream;
import java.util.Locale;

/**
 * How commands talk to people and to machines: human lines go to stderr when {@code --json} is set (so stdout
 * carries only the JSON object, as its last line) and to stdout otherwise.
 */
final class Output {

    static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private final boolean json;

    Output(boolean json) {
        this.json = json;
    }

    boolean json() {
        return json;
    }

    /** Where human-readable lines go. */
    PrintStream human() {
        return json ? System.err : System.out;
    }

    /** One or more lines for people; what they show may come from a researcher, so nothing in it drives the terminal. */
    void say(String format, Object... args) {
        human().println(ResearcherText.printable(String.format(Locale.ROOT, format, args)));
    }

    /** Prints the result object as the last stdout line when --json is set. */
    void result(Object value) {
        if (!json) return;
        try {
            System.out.println(JSON.writeValueAsString(value));
            System.out.flush();
        } catch (Exception e) {
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
    }

    static double round(double x, int digits) {
        if (!Double.isFinite(x)) return x;
        double f = Math.pow(10, digits);
        return Math.round(x * f) / f;
    }
}
