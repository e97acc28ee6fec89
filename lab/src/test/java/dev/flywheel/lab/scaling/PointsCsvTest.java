package dev.flywheel.lab.scaling;

import dev.flywheel.lab.LabException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PointsCsvTest {

    @Test
    void readsColumnsInAnyOrderAndCaseWithLabels() {
        var p = PointsCsv.parse(List.of("Loss,label,TOKENS,params", "3.5,small,2e7,1e6", "", "3.0,big,4e7,2e6"), "x.csv");
        assertThat(p).hasSize(2);
        assertThat(p.get(1).params()).isEqualTo(2e6);
        assertThat(p.get(1).tokens()).isEqualTo(4e7);
        assertThat(p.get(1).loss()).isEqualTo(3.0);
        assertThat(p.get(1).label()).isEqualTo("big");
        assertThat(p.get(1).flops()).isEqualTo(6 * 2e6 * 4e7);
    }

    @Test
    void derivesTokensFromFlopsAsEpochDidAndReadsTheirHeaderAsItIs() {
        var p = PointsCsv.parse(List.of("x,y,color,Model Size,Training FLOP,hex_color,loss", "1,2,#fff,1e9,6e18,#fff,2.5"), "epoch.csv");
        assertThat(p.getFirst().params()).isEqualTo(1e9);
        assertThat(p.getFirst().tokens()).isCloseTo(1e9, within(1.0));
        assertThat(p.getFirst().flops()).isEqualTo(6e18);
    }

    @Test
    void refusesAMissingColumnANegativeValueAndText() {
        assertThatThrownBy(() -> PointsCsv.parse(List.of("params,loss", "1,2"), "a.csv")).isInstanceOf(LabException.class)
                .hasMessageContaining("a.csv has no column \"tokens\"").hasMessageContaining("params,tokens,loss");
        assertThatThrownBy(() -> PointsCsv.parse(List.of("params,tokens,loss", "1e6,-3,2"), "b.csv"))
                .hasMessageContaining("b.csv line 2: tokens is -3");
        assertThatThrownBy(() -> PointsCsv.parse(List.of("params,tokens,loss", "1e6,3e6,NaN"), "c.csv"))
                .hasMessageContaining("c.csv line 2: loss is NaN");
        assertThatThrownBy(() -> PointsCsv.parse(List.of("params,tokens,loss", "1e6,,2"), "d.csv"))
                .hasMessageContaining("d.csv line 2: tokens \"\" is not a number");
        assertThatThrownBy(() -> PointsCsv.parse(List.of(), "e.csv")).hasMessageContaining("e.csv is empty");
    }
}
