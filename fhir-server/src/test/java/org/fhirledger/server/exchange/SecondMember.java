package org.fhirledger.server.exchange;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;

/**
 * The second institution of a test server's directory (its custodian account, acting on the chain as its server
 * would), admitted by the server alone while it is the only member: one per directory, so the test classes that
 * share a Spring context (and so a directory) share it, whichever runs first.
 */
final class SecondMember {

    static final String ORGANIZATION = "urn:oid:2.2";
    static final String BASE_URL = "https://b.example/fhir";

    private static final Map<String, Credentials> ADMITTED = new ConcurrentHashMap<>();

    private SecondMember() {}

    static synchronized Credentials of(InstitutionDirectory directory, ConsortiumView view, String directoryAddress) {
        return ADMITTED.computeIfAbsent(directoryAddress, address -> {
            Credentials b = newAccount();
            directory.proposeAdmission(new Institution(b.getAddress(), ORGANIZATION, BASE_URL, "{}"));
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
