package dev.flywheel.lab.run;

import dev.flywheel.lab.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunEventTest {

    @Test
    void everyKindAndActionReadsBackFromItsIdAndTheIdsDoNotChange() {
        for (var k : EventKind.values()) assertThat(EventKind.parse(k.id())).isEqualTo(k);
        for (var a : EventAction.values()) assertThat(EventAction.parse(a.id())).isEqualTo(a);
        // these are in stores and events.jsonl files already: renaming one loses its history
        assertThat(List.of(EventKind.values())).extracting(EventKind::id).containsExactly("nan", "spike", "divergence",
                "grad-spike", "attn-logit-growth", "logit-drift", "inject", "early-stop", "killed");
        assertThat(List.of(EventAction.values())).extracting(EventAction::id).containsExactly("none", "warn", "clip",
                "skip", "rollback", "rollback+lr-cut", "abort", "injected", "stop", "kill", "signal");
    }

    @Test
    void olderSpellingsAreAliases() {
        assertThat(EventKind.parse("grad_spike")).isEqualTo(EventKind.GRAD_SPIKE);
        assertThat(EventKind.parse("attn_logit_growth")).isEqualTo(EventKind.ATTN_LOGIT_GROWTH);
        assertThat(EventKind.parse("logit_drift")).isEqualTo(EventKind.LOGIT_DRIFT);
        assertThat(EventKind.parse("early_stop")).isEqualTo(EventKind.EARLY_STOP);
        assertThat(EventAction.parse("skip_batches")).isEqualTo(EventAction.SKIP);
        assertThat(EventAction.parse("cut_lr")).isEqualTo(EventAction.ROLLBACK_LR_CUT);
        assertThat(EventAction.parse("lr-cut")).isEqualTo(EventAction.ROLLBACK_LR_CUT);
        assertThat(EventAction.parse(null)).isEqualTo(EventAction.NONE);
        assertThatThrownBy(() -> EventKind.parse("rollback")).hasMessageStartingWith("'rollback' is not an event kind");
    }

    @Test
    void jsonRoundTripKeepsKindActionAndNonFiniteValues() throws Exception {
        var e = new RunEvent(120, EventKind.NAN, "non-finite", Map.of("loss", Double.NaN, "step", 7, "cause", "data",
                "top_documents", List.of(Map.of("document", "d1"))), EventAction.SKIP, "nan");
        String json = Json.write(e);
        assertThat(json).contains("\"kind\":\"nan\"").contains("\"action\":\"skip\"");
        var back = Json.MAPPER.readValue(json, RunEvent.class);
        assertThat(back).isEqualTo(e);
        assertThat(back.value("loss")).isNaN();
        assertThat(back.value("step")).isEqualTo(7.0);
        // a line of an events.jsonl written before the kinds were an enum
        var old = Json.MAPPER.readValue("""
                {"step":3,"kind":"grad_spike","rule":"grad-zscore","measured":{"z":3.1},"action":"clip","message":null}""",
                RunEvent.class);
        assertThat(old.kind()).isEqualTo(EventKind.GRAD_SPIKE);
        assertThat(old.action()).isEqualTo(EventAction.CLIP);
    }
}
