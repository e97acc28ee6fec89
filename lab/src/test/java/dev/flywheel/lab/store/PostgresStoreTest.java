package dev.flywheel.lab.store;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store on a real PostgreSQL, started by this test from the local binaries (Debian's postgresql package)
 * in a temporary folder and stopped afterwards. Skipped when the binaries are not installed.
 */
class PostgresStoreTest {

    static Path dir;
    static Path pgBin;
    static List<String> asPostgres = List.of();
    static int port;

    @BeforeAll
    static void start() throws Exception {
        pgBin = findBinaries().orElse(null);
        Assumptions.assumeTrue(pgBin != null, "PostgreSQL binaries (initdb, pg_ctl) are not installed");
        if ("root".equals(System.getProperty("user.name"))) {
            // PostgreSQL refuses to run as root; Debian's package brings a postgres user to run it as.
            Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runuser")) || Files.isExecutable(Path.of("/sbin/runuser")),
                    "running as root without runuser");
            Assumptions.assumeTrue(run(List.of("id", "postgres")) == 0, "running as root and there is no postgres user");
            asPostgres = List.of("runuser", "-u", "postgres", "--");
        }
        dir = Files.createTempDirectory("flywheel-pg");
        if (!asPostgres.isEmpty()) {
            var owner = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(dir, owner);
        }
        try (var socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        var data = dir.resolve("data").toString();
        assertThat(run(command("initdb", "-D", data, "-U", "flywheel", "-A", "trust", "-E", "UTF8", "--no-sync"))).isZero();
        assertThat(run(command("pg_ctl", "-D", data, "-l", dir.resolve("log.txt").toString(), "-w", "-t", "60", "-o",
                "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off", "start")))
                .as("pg_ctl start; see %s", dir.resolve("log.txt")).isZero();
    }

    @AfterAll
    static void stop() throws Exception {
        if (dir == null) return;
        run(command("pg_ctl", "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop"));
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void theSameStoreWorksOnPostgresql() {
        var url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=flywheel";
        StoreContract.exercise(() -> Store.open(url));
        var store = Store.open(url);
        var tables = store.jdbi().withHandle(h -> h.createQuery(
                "select table_name from information_schema.tables where table_schema = 'public' and table_name not like 'flyway%' order by table_name")
                .mapTo(String.class).list());
        assertThat(tables).containsExactly("decisions", "events", "metric_points", "notes", "runs", "studies");
    }

    static Optional<Path> findBinaries() throws IOException {
        var candidates = new ArrayList<Path>();
        var versions = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(versions))
            try (var list = Files.list(versions)) {
                list.sorted(Comparator.reverseOrder()).forEach(v -> candidates.add(v.resolve("bin")));
            }
        for (var p : System.getenv().getOrDefault("PATH", "").split(":")) if (!p.isBlank()) candidates.add(Path.of(p));
        return candidates.stream().filter(d -> Files.isExecutable(d.resolve("initdb")) && Files.isExecutable(d.resolve("pg_ctl"))).findFirst();
    }

    static List<String> command(String tool, String... args) {
        var c = new ArrayList<>(asPostgres);
        c.add(pgBin.resolve(tool).toString());
        c.addAll(List.of(args));
        return c;
    }

    static int run(List<String> command) throws Exception {
        var process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.appendTo(dir.resolve("commands.txt").toFile()))
                .start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return -1;
        }
        return process.exitValue();
    }
}
