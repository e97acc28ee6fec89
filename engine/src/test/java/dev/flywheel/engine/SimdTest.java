package dev.flywheel.engine;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SimdTest {

    @Test
    void theEngineRunsTheWidthItWasToldOrThePreferredOne() {
        String asked = System.getProperty("fw.vector");
        int bits = asked == null ? FloatVector.SPECIES_PREFERRED.vectorBitSize() : Integer.parseInt(asked);
        assertThat(Simd.FLOAT.vectorBitSize()).isEqualTo(bits);
        assertThat(Simd.DOUBLE.vectorBitSize()).isEqualTo(bits);
        assertThat(Matmul.L).isEqualTo(bits / 32);
        assertThat(Matmul.NR).isEqualTo(2 * Matmul.L);
        assertThat(Matmul.MR).isEqualTo(bits == 512 ? 8 : 5);
    }

    @Test
    void narrowerWidthsAreAvailableAndWiderOnesRefused() {
        assertThat(Simd.floats(null)).isEqualTo(FloatVector.SPECIES_PREFERRED);
        assertThat(Simd.floats("preferred")).isEqualTo(FloatVector.SPECIES_PREFERRED);
        assertThat(Simd.floats("128").vectorBitSize()).isEqualTo(128);
        assertThatThrownBy(() -> Simd.floats("1024"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-Dfw.vector=1024")
                .hasMessageContaining("use 128");
        assertThatThrownBy(() -> Simd.floats("wide")).hasMessageContaining("-Dfw.vector=wide");
        if (FloatVector.SPECIES_PREFERRED.vectorBitSize() < 512) {
            assertThatThrownBy(() -> Simd.floats("512")).hasMessageContaining("preferred "
                    + FloatVector.SPECIES_PREFERRED.vectorBitSize());
        }
    }
}
