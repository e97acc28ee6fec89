package dev.flywheel.lab;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What a study minimises, measured on the validation split after each run. Bits per byte is the default
 * because it does not depend on the tokenizer, so recipes with different vocabularies compare fairly.
 */
public enum Metric {
    VAL_BPB("validation bits per byte"),
    VAL_LOSS("validation loss (nats per token)");

    private final String description;

    Metric(String description) {
        this.description = description;
    }

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String description() {
        return description;
    }

    /** The metric named {@code id} (val_bpb, val_loss), in any case. */
    public static Optional<Metric> of(String id) {
        return Arrays.stream(values()).filter(m -> m.id().equalsIgnoreCase(id.strip())).findFirst();
    }
}
