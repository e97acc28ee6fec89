package dev.flywheel.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * Writes the inputs of the PyTorch cross-check: for each variant a checkpoint and a batch. tools/torch_reference.py
 * then adds expected.safetensors (loss and gradients computed by PyTorch in float64), and {@link TorchCrossCheckTest}
 * compares the engine with it. Regenerate with tools/regen_torch_fixture.sh (see tools/README.md).
 */
public final class TorchFixtureWriter {

    static final int V = 37, T = 8, L = 2, NH = 2, C = 16, B = 3;

    static Map<String, ModelConfig> variants() {
        var gpt2 = ModelConfig.gpt2(V, T, L, NH, C);
        var llama = ModelConfig.llama(V, T, L, NH, C);
        var mixed = new ModelConfig(V, T, L, NH, C, 48, ModelConfig.Norm.RMSNORM, ModelConfig.Position.ROPE,
                ModelConfig.Activation.RELU2, true, true, true, 0.01f, 3.0f, 500f, 1e-5f);
        return Map.of("gpt2", gpt2, "llama", llama, "mixed", mixed);
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : "engine/src/test/resources/torch");
        for (var e : variants().entrySet()) {
            Path dir = root.resolve(e.getKey());
            Files.createDirectories(dir.getParent());
            var model = new Gpt(e.getValue(), new Parallel(1));
            model.initialize(11);
            var r = new Random(12);
            for (int i = 0; i < model.params.length; i++) model.params[i] += (float) (r.nextGaussian() * 0.1);
            Checkpoint.save(dir, model, null, Map.of());
            int[] in = new int[B * T], tg = new int[B * T];
            for (int i = 0; i < in.length; i++) {
                in[i] = r.nextInt(V);
                tg[i] = r.nextInt(V);
            }
            new Safetensors.Writer().i32("inputs", in, B, T).i32("targets", tg, B, T).write(dir.resolve("batch.safetensors"));
            System.out.println("wrote " + dir);
        }
    }
}
