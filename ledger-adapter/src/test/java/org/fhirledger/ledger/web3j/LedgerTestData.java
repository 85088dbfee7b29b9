package org.fhirledger.ledger.web3j;

import static org.fhirledger.ledger.web3j.ChainFixture.pseudonym;

import java.nio.charset.StandardCharsets;
import org.fhirledger.ledger.AccessEntry;
import org.fhirledger.ledger.RecordEntry;

/** Entries made of labels, so a test can build the same entry twice. */
final class LedgerTestData {
    private LedgerTestData() {}

    static RecordEntry record(String resource, long version) {
        return new RecordEntry(
                pseudonym(resource),
                version,
                pseudonym("content:" + resource + "/" + version),
                ("cid:" + resource + "/" + version).getBytes(StandardCharsets.UTF_8),
                pseudonym("Patient/P"));
    }

    static AccessEntry access(String actor, String audit) {
        return new AccessEntry(
                actor,
                pseudonym("Patient/P"),
                pseudonym("Observation/1"),
                1,
                AccessEntry.Outcome.ALLOWED,
                1_700_000_000L,
                pseudonym(audit));
    }
}
