package dev.flywheel.lab.study;

import dev.flywheel.lab.LabException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One writer per study: a second opener, in this process or another, is refused with the holder's pid. */
class StudyLockTest {

    @Test
    void aSecondOpenerInThisJvmIsRefusedUntilTheFirstCloses(@TempDir Path lab) throws Exception {
        Path dir = lab.resolve("studies/s");
        var first = StudyLock.acquire(dir, "s");
        assertThat(Files.readString(dir.resolve(StudyLock.FILE)).strip()).isEqualTo(String.valueOf(ProcessHandle.current().pid()));
        assertThatThrownBy(() -> StudyLock.acquire(dir, "s")).isInstanceOf(LabException.class)
                .hasMessage("study s is open in process " + ProcessHandle.current().pid()
                        + "; wait for it to finish or stop it before resuming");
        // the refused attempt did not free the first holder's lock
        assertThatThrownBy(() -> StudyLock.acquire(lab.resolve("studies/../studies/s"), "s")).isInstanceOf(LabException.class);
        first.close();
        first.close(); // twice is harmless
        StudyLock.acquire(dir, "s").close();
    }

    @Test
    void aSecondProcessIsRefusedWithTheFirstsPidAndMayOpenOnceItEnds(@TempDir Path lab) throws Exception {
        Path dir = lab.resolve("studies/s");
        var java = ProcessHandle.current().info().command().orElseThrow();
        var holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                StudyLockHolderMain.class.getName(), dir.toString(), "s").redirectErrorStream(true).start();
        try {
            var out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("held");
            assertThatThrownBy(() -> StudyLock.acquire(dir, "s")).isInstanceOf(LabException.class)
                    .hasMessage("study s is open in process " + holder.pid()
                            + "; wait for it to finish or stop it before resuming");
            holder.getOutputStream().close();
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
            StudyLock.acquire(dir, "s").close();
        } finally {
            holder.destroyForcibly();
        }
    }

    @Test
    void aProcessKilledWhileHoldingItLeavesNoStaleLock(@TempDir Path lab) throws Exception {
        Path dir = lab.resolve("studies/s");
        var java = ProcessHandle.current().info().command().orElseThrow();
        var holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                StudyLockHolderMain.class.getName(), dir.toString(), "s").start();
        var out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("held");
        holder.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        // the file still names the dead process, but the kernel's lock went with it
        assertThat(Files.readString(dir.resolve(StudyLock.FILE)).strip()).isEqualTo(String.valueOf(holder.pid()));
        StudyLock.acquire(dir, "s").close();
    }
}
