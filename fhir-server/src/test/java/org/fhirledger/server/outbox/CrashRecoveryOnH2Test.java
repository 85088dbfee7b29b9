package org.fhirledger.server.outbox;

import java.nio.file.Path;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link CrashRounds} on the embedded H2 default: the server killed with -9 under write load loses nothing it
 * acknowledged, also when it starts from a database that a kill left behind.
 */
class CrashRecoveryOnH2Test {

    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.create(31337, 1, 30_000_000);

    @Test
    void h2LosesNothingAcknowledgedAndRecordsEveryCommittedVersionOnce() throws Exception {
        Path data = CrashRounds.dataDir("crash-h2-");
        // the URL as operators wrote it before the server forced durable commits itself
        // two rounds: the second starts from a database that a kill -9 left behind
        new CrashRounds(anvil)
                .run(2, data, "jdbc:h2:file:" + data.resolve("h2/fhir") + ";DB_CLOSE_ON_EXIT=FALSE", "sa");
    }
}
