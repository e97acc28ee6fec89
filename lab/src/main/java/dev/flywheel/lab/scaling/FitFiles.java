package dev.flywheel.lab.scaling;

import dev.flywheel.engine.AtomicFiles;
import dev.flywheel.lab.Json;
import dev.flywheel.lab.LabException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A fit's three files: PREFIX.json (read back by {@code scale plan}), PREFIX.png and PREFIX.md. Each is written
 * through a temporary file and a rename, and only once the fit exists, so a bad input leaves nothing behind.
 */
public record FitFiles(Path json, Path png, Path markdown) {

    public static FitFiles at(Path prefix) {
        var base = prefix.toAbsolutePath();
        var name = base.getFileName().toString();
        return new FitFiles(base.resolveSibling(name + ".json"), base.resolveSibling(name + ".png"), base.resolveSibling(name + ".md"));
    }

    /** Writes the report; {@code heldOut} are points drawn apart on the chart (a ladder's predicted run). */
    public static FitFiles write(FitReport report, Path prefix, List<ScalingPoint> heldOut) {
        var files = at(prefix);
        try {
            Files.createDirectories(files.json().getParent());
            AtomicFiles.writeString(files.json(), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report.toJson()) + "\n");
            LawChart.write(files.png(), "Scaling law fit: " + report.source(), report.law(), report.points(), heldOut);
            AtomicFiles.writeString(files.markdown(), report.markdown(files.png().getFileName().toString()));
        } catch (IOException e) {
            throw new LabException("the fit's files at " + prefix + " cannot be written (" + e.getMessage() + "); check the folder");
        }
        return files;
    }
}
