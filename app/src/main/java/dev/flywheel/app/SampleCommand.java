package dev.flywheel.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.concurrent.Callable;

/** Text from a checkpoint. */
@Command(name = "sample", mixinStandardHelpOptions = true, description = "Generate text from a checkpoint.")
final class SampleCommand implements Callable<Integer> {

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "A checkpoint directory.")
    Path checkpoint;
    @Option(names = "--prompt", defaultValue = "\n", description = "Text to continue (default: a newline).")
    String prompt;
    @Option(names = "--tokens", converter = Numbers.PositiveInt.class, defaultValue = "300", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int tokens;
    @Option(names = "--temperature", converter = Numbers.NonNegativeDouble.class, defaultValue = "0.8", description = "Sampling temperature; 0 is greedy (default: ${DEFAULT-VALUE}).")
    double temperature;
    @Option(names = "--top-k", converter = Numbers.NonNegativeInt.class, defaultValue = "40", description = "Sample from the k most likely tokens; 0 = all (default: ${DEFAULT-VALUE}).")
    int topK;
    @Option(names = "--seed", defaultValue = "1", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--threads", converter = Numbers.PositiveInt.class, description = "Worker threads (default: all processors).")
    Integer threads;
    @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
    boolean json;

    @Override
    public Integer call() {
        var o = new Output(json);
        String text = Sampling.sample(checkpoint, prompt, tokens, temperature, topK, seed,
                threads != null ? threads : Runtime.getRuntime().availableProcessors());
        if (json) {
            var j = new LinkedHashMap<String, Object>();
            j.put("checkpoint", checkpoint.toString());
            j.put("prompt", prompt);
            j.put("text", text);
            o.result(j);
        } else {
            System.out.println(text);
        }
        return 0;
    }
}
