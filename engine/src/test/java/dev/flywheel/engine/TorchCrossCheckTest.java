package dev.flywheel.engine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URISyntaxException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine against an independent implementation: PyTorch (float64) rebuilt the model from the checkpoint the
 * engine wrote (tools/torch_reference.py) and recorded the loss and every parameter gradient. The fixture is
 * committed, so this test needs no PyTorch. Gradients are compared in the stored tensors' own names and
 * orientation, so the GPT-2 and Llama export mappings are checked too.
 */
class TorchCrossCheckTest {

    static Path fixture(String variant) throws URISyntaxException {
        var url = TorchCrossCheckTest.class.getResource("/torch/" + variant + "/expected.safetensors");
        assertThat(url).as("fixture for " + variant + " (regenerate with tools/regen_torch_fixture.sh)").isNotNull();
        return Path.of(url.toURI()).getParent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "mixed"})
    void lossAndGradientsAgreeWithPyTorch(String variant) throws Exception {
        Path dir = fixture(variant);
        var model = Checkpoint.load(dir, new Parallel(2)).model();
        var batch = Safetensors.read(dir.resolve("batch.safetensors"));
        var expected = Safetensors.read(dir.resolve("expected.safetensors"));
        int[] shape = batch.entry("inputs").shape();
        int b = shape[0], t = shape[1];
        float loss = model.forward(batch.ints("inputs"), batch.ints("targets"), b, t);
        model.zeroGrad();
        model.backward(b * t);
        double torchLoss = expected.doubles("loss")[0];
        assertThat(Math.abs(loss - torchLoss) / torchLoss).as(variant + " loss vs PyTorch").isLessThanOrEqualTo(1e-4);
        // gradients in the stored layout (transposed / split as the checkpoint stores them)
        var stored = Checkpoint.storedTensors(model.config(), model.layout());
        assertThat(stored).isNotEmpty();
        for (var s : stored) {
            double[] ref = expected.doubles("grad/" + s.name());
            float[] mine = new float[s.size()];
            for (int i = 0; i < s.rows(); i++)
                for (int j = 0; j < s.cols(); j++) {
                    float g = model.grads[s.offset() + i * s.cols() + j];
                    if (s.transpose()) mine[j * s.rows() + i] = g;
                    else mine[i * s.cols() + j] = g;
                }
            Check.close(variant + " grad " + s.name() + " vs PyTorch", mine, 0, ref, 1e-4);
        }
    }
}
