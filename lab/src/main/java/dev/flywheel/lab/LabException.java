package dev.flywheel.lab;

/**
 * An error a user or a researcher can cause and fix: a bad recipe, brief, budget or store location.
 * The message is written for them — it names the input and says what to change — so the CLI prints it as
 * it is, without a stack trace, and an agent receives it as a tool error it can act on.
 */
public class LabException extends RuntimeException {

    public LabException(String message) {
        super(message);
    }

    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
