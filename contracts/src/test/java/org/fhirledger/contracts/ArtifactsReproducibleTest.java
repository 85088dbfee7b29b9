package org.fhirledger.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The committed abi/bin must be exactly what the pinned solc makes of src/: recompiles and compares. */
class ArtifactsReproducibleTest {

    @Test
    void recompilingGivesTheCommittedBytes() throws IOException, InterruptedException {
        Path toolsDir = Path.of(System.getProperty("tools.dir", "../tools"))
                .toAbsolutePath()
                .normalize();
        Path solc = toolsDir.resolve("node_modules/solc/soljson.js");
        assertThat(solc)
                .as("pinned solc must be installed at %s (run bin/install-tools, or pass -Dtools.dir)", solc)
                .exists();
        ProcessBuilder pb = new ProcessBuilder("node", "build.mjs", "--check")
                .directory(Path.of("").toAbsolutePath().toFile())
                .redirectErrorStream(true);
        pb.environment().put("TOOLS_DIR", toolsDir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("solc finished in time").isTrue();
        assertThat(p.exitValue()).as("node build.mjs --check said:%n%s", out).isZero();
        assertThat(Files.exists(Path.of("artifacts/RecordLedger.bin"))).isTrue();
    }
}
