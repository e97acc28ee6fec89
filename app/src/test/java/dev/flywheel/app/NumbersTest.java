package dev.flywheel.app;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.Names;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The shared checks on their own: what each converter and the name rule let through, and what they refuse. */
class NumbersTest {

    @Test
    void convertersAcceptSenseAndRefuseNonsense() {
        assertThat(new Numbers.PositiveInt().convert("1_000")).isEqualTo(1000);
        assertThat(new Numbers.NonNegativeInt().convert("0")).isZero();
        assertThat(new Numbers.PositiveLong().convert("5000000000")).isEqualTo(5_000_000_000L);
        assertThat(new Numbers.PositiveDouble().convert("1e-3")).isEqualTo(1e-3);
        assertThat(new Numbers.NonNegativeDouble().convert("-0.0")).isEqualTo(0.0);
        assertThat(new Numbers.FiniteDouble().convert("-0.5")).isEqualTo(-0.5);
        assertThat(new Numbers.Fraction().convert("0.05")).isEqualTo(0.05);
        for (String bad : new String[] {"0", "-1", "abc", "1.5", "3000000000", ""})
            assertThatThrownBy(() -> new Numbers.PositiveInt().convert(bad)).as(bad).isInstanceOf(Numbers.Refused.class);
        for (String bad : new String[] {"NaN", "Infinity", "-Infinity", "0", "-1e-9"})
            assertThatThrownBy(() -> new Numbers.PositiveDouble().convert(bad)).as(bad).isInstanceOf(Numbers.Refused.class);
        for (String bad : new String[] {"NaN", "-0.1", "Infinity"})
            assertThatThrownBy(() -> new Numbers.NonNegativeDouble().convert(bad)).as(bad).isInstanceOf(Numbers.Refused.class);
        for (String bad : new String[] {"1", "-0.1", "NaN"})
            assertThatThrownBy(() -> new Numbers.Fraction().convert(bad)).as(bad).isInstanceOf(Numbers.Refused.class);
        assertThatThrownBy(() -> new Numbers.FiniteDouble().convert("NaN")).isInstanceOf(Numbers.Refused.class);
    }

    @Test
    void namesThatCouldLeaveTheirFolderAreRefused() {
        for (String ok : new String[] {"builtin-20260101-120000", "lr.sweep_2", "A", "9".repeat(64)})
            assertThat(Names.valid(ok)).as(ok).isTrue();
        for (String bad : new String[] {"..", "../x", "a/b", "a\\b", ".hidden", "-flag", "", "has space", "é", "9".repeat(65), "a\nb"})
            assertThat(Names.valid(bad)).as(bad).isFalse();
        assertThatThrownBy(() -> Names.require("study name", "../x")).isInstanceOf(LabException.class)
                .hasMessage("study name \"../x\" may hold only letters, digits, '.', '_' and '-', must start with a "
                        + "letter or digit and be at most 64 characters; choose another name");
        assertThatThrownBy(() -> Names.require("run id", "a\nb")).hasMessageContaining("\"a\\u000ab\"");
        assertThat(Names.valid(null)).isFalse();
    }
}
