package org.fhirledger.server.exchange;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.protocol.Web3j;

/**
 * The second institution of a test server's directory (its custodian account, acting on the chain as its server
 * would), admitted through the directory's governance (TestConsortium): one per server, so the test classes that
 * share a Spring context (and so a directory) share it, whichever runs first.
 */
final class SecondMember {

    static final String ORGANIZATION = "urn:oid:2.2";
    static final String BASE_URL = "https://b.example/fhir";

    private static final Map<Path, Credentials> ADMITTED = new ConcurrentHashMap<>();

    private SecondMember() {}

    static synchronized Credentials of(Path dataDir, Web3j web3j, InstitutionDirectory directory, ConsortiumView view) {
        return ADMITTED.computeIfAbsent(dataDir, d -> {
            Credentials b = newAccount();
            TestConsortium.admit(
                    dataDir, web3j, directory, new Institution(b.getAddress(), ORGANIZATION, BASE_URL, "{}"));
            TestConsortium.known(dataDir, b); // its approvals count when another class admits a member
            view.invalidate();
            return b;
        });
    }

    static Credentials newAccount() {
        try {
            return Credentials.create(Keys.createEcKeyPair());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
