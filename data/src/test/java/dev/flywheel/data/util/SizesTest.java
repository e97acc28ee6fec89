package dev.flywheel.data.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flywheel.data.DataException;
import org.junit.jupiter.api.Test;

class SizesTest {

    @Test
    void parsesDecimalAndBinaryUnits() {
        assertThat(Sizes.parse("--max-bytes", "500000")).isEqualTo(500_000);
        assertThat(Sizes.parse("--max-bytes", "20KB")).isEqualTo(20_000);
        assertThat(Sizes.parse("--max-bytes", "50mb")).isEqualTo(50_000_000);
        assertThat(Sizes.parse("--max-bytes", "1.5 GB")).isEqualTo(1_500_000_000L);
        assertThat(Sizes.parse("--max-bytes", "16MiB")).isEqualTo(16L << 20);
        assertThat(Sizes.parse("--max-bytes", "2GiB")).isEqualTo(2L << 30);
    }

    @Test
    void refusesWhatIsNotASize() {
        assertThatThrownBy(() -> Sizes.parse("--max-bytes", "lots")).isInstanceOf(DataException.class)
                .hasMessage("--max-bytes lots is not a size; write it like 500000, 50MB or 2GiB");
        assertThatThrownBy(() -> Sizes.parse("--jdk-sample", "-5MB")).isInstanceOf(DataException.class);
    }
}
