package dev.flywheel.lab.exec;

import dev.flywheel.lab.Json;
import dev.flywheel.lab.run.RunStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** result.json files already on disk stay readable: their status words are the run status ids. */
class ResultFileTest {

    @Test
    void everyStatusWordAnOlderRunWroteIsRead(@TempDir Path dir) throws Exception {
        for (var word : new String[]{"finished", "stopped", "diverged", "crashed", "FINISHED"}) {
            var file = dir.resolve(word + ".json");
            Files.writeString(file, """
                    {"run_id":"s-001","status":"%s","val_loss":1.2,"val_bpb":1.8,"test_bpb":null,"train_loss":3.0,
                     "steps":10,"tokens":100,"train_seconds":1.0,"wall_seconds":2.0,"params":1000,
                     "tokens_per_second":50.0,"checkpoint":null,"error":null,"curve":[[10,1.0,3.0,0.001,0.5]],"events":[]}
                    """.formatted(word));
            var r = ResultFile.read(file).orElseThrow();
            assertThat(r.status()).isEqualTo(RunStatus.of(word));
            ResultFile.write(file, r);
            assertThat(Json.MAPPER.readTree(Files.readString(file)).get("status").asText()).isEqualTo(word.toLowerCase());
            assertThat(ResultFile.read(file)).contains(r);
        }
    }
}
