package org.fhirledger.server.exchange;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.dao.tx.IHapiTransactionService;
import ca.uhn.fhir.rest.server.RestfulServer;
import jakarta.persistence.EntityManagerFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.fhirledger.content.ContentStore;
import org.fhirledger.crypto.EnvelopeCipher;
import org.fhirledger.crypto.MemberEncryptionKey;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.KeyReleaseLedger;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.server.datadir.DataDir;
import org.fhirledger.server.ledger.CustodianEnrolledListener;
import org.fhirledger.server.ledger.ExchangeProperties;
import org.fhirledger.server.pseudonym.ConsortiumPseudonyms;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.security.SecurityMode;
import org.fhirledger.server.security.SecurityProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The server as a consortium member (docs/exchange.md): its view of the member directory and the operations that
 * expose it. Without a directory (production without {@code exchange.directory-address}) there is nothing to show and
 * neither {@code $institutions} nor {@code $locate} is offered.
 */
@Configuration
@ConditionalOnProperty(name = "ledger.enabled", havingValue = "true")
@Import(MemberAccessConfig.class)
@EnableConfigurationProperties(RetrievalProperties.class)
public class ExchangeConfig {

    @Bean
    public ConsortiumView consortiumView(
            ObjectProvider<InstitutionDirectory> directory, Ledger ledger, ExchangeProperties exchange) {
        InstitutionDirectory d = directory.getIfAvailable();
        return d == null ? null : new ConsortiumView(d, ledger.account(), exchange.cacheTtl(), Clock.systemUTC());
    }

    /**
     * A server started before the consortium admitted it enrols itself once admitted (nothing to do for a server
     * that holds CUSTODIAN already, e.g. the directory's founder).
     */
    @Bean(destroyMethod = "close")
    public SelfEnrolment selfEnrolment(
            ObjectProvider<InstitutionDirectory> directory,
            ObjectProvider<ConsortiumView> consortium,
            Ledger ledger,
            Institution thisInstitution,
            ExchangeProperties exchange,
            ObjectProvider<CustodianEnrolledListener> listeners) {
        InstitutionDirectory d = directory.getIfAvailable();
        ConsortiumView view = consortium.getIfAvailable();
        if (d == null || view == null) return null;
        SelfEnrolment enrolment = new SelfEnrolment(
                d,
                ledger,
                thisInstitution,
                view,
                exchange.cacheTtl(),
                listeners.orderedStream().toList());
        enrolment.start();
        return enrolment;
    }

    /**
     * The consortium pseudonyms of shared identifiers, under the consortium key. Dev mode creates a key when there is
     * none (a consortium of one; other members need this file); production requires the configured file.
     */
    @Bean
    public ConsortiumPseudonyms consortiumPseudonyms(
            ExchangeProperties exchange, SecurityProperties security, DataDir dataDir) {
        Path file = exchange.consortiumKeyFile() != null
                ? exchange.consortiumKeyFile()
                : dataDir.resolve("keys").resolve("consortium-key.hex");
        if (security.mode() != SecurityMode.DEV && !Files.exists(file)) {
            throw new IllegalStateException("the consortium key file " + file + " does not exist: every member needs"
                    + " the consortium's key (set exchange.consortium-key-file)");
        }
        return new ConsortiumPseudonyms(
                ConsortiumPseudonyms.keyFrom(file),
                exchange.consortiumKeyVersion(),
                exchange.patientIdentifierSystem());
    }

    /**
     * This member's HPKE key pair that released data keys are sealed to (docs/exchange.md, custodian offline), when
     * the consortium has a KeyRelease contract. Dev mode creates it; production requires the configured file.
     */
    @Bean
    public MemberEncryptionKey memberEncryptionKey(
            ObjectProvider<KeyReleaseLedger> releases,
            ExchangeProperties exchange,
            SecurityProperties security,
            DataDir dataDir) {
        if (releases.getIfAvailable() == null) return null;
        Path file = exchange.encryptionKeyFile() != null
                ? exchange.encryptionKeyFile()
                : dataDir.resolve("keys").resolve("member-encryption-key.json");
        return MemberEncryptionKey.open(file, security.mode() == SecurityMode.DEV);
    }

    /** Publishes the encryption key at start-up, and (as a listener) once a later-admitted server enrolled itself. */
    @Bean
    public EncryptionKeyPublication encryptionKeyPublication(
            ObjectProvider<InstitutionDirectory> directory,
            ObjectProvider<KeyReleaseLedger> releases,
            ObjectProvider<MemberEncryptionKey> key,
            Ledger ledger) {
        if (directory.getIfAvailable() == null || releases.getIfAvailable() == null || key.getIfAvailable() == null) {
            return null;
        }
        EncryptionKeyPublication p = new EncryptionKeyPublication(
                directory.getObject(), releases.getObject(), key.getObject(), ledger.account());
        p.publishSafely();
        return p;
    }

    /** Releases a patient's data key to the member whose clinician a Consent here grants. */
    @Bean(destroyMethod = "close")
    public KeyReleases keyReleases(
            ObjectProvider<KeyReleaseLedger> releases,
            Ledger ledger,
            EnvelopeCipher cipher,
            Pseudonyms pseudonyms,
            JdbcTemplate jdbc) {
        if (releases.getIfAvailable() == null) return null;
        return new KeyReleases(ledger, releases.getObject(), cipher, pseudonyms, jdbc, ledger.account());
    }

    /**
     * {@code $institutions}, the governance operations ({@link GovernanceOperations}), {@code Patient/{id}/$locate},
     * {@code Patient/{id}/$fetch-remote}, its storing form {@code Patient/{id}/$import-remote} and
     * {@code Provenance/{id}/$verify-import}, when there is a directory to name members from.
     */
    @Bean
    public SmartInitializingSingleton registerInstitutionsOperation(
            RestfulServer fhirRestfulServer,
            ObjectProvider<ConsortiumView> consortium,
            DaoRegistry daos,
            ConsortiumPseudonyms pseudonyms,
            Ledger ledger,
            ExchangeProperties exchange,
            MemberAssertions assertions,
            RetrievalProperties retrieval,
            IHapiTransactionService transactions,
            ObjectProvider<InstitutionDirectory> directory,
            Institution thisInstitution,
            EntityManagerFactory entityManagers,
            ObjectProvider<KeyReleaseLedger> releases,
            ObjectProvider<MemberEncryptionKey> encryptionKey,
            ContentStore content) {
        return () -> {
            ConsortiumView view = consortium.getIfAvailable();
            if (view == null) return;
            fhirRestfulServer.registerProvider(new InstitutionsOperation(view));
            fhirRestfulServer.registerProvider(new GovernanceOperations(directory.getObject(), view, thisInstitution));
            fhirRestfulServer.registerProvider(
                    new LocateOperation(daos, pseudonyms, ledger, view, exchange.patientIdentifierSystem()));
            FetchRemoteOperation fetch = new FetchRemoteOperation(
                    daos,
                    fhirRestfulServer.getFhirContext(),
                    pseudonyms,
                    ledger,
                    view,
                    assertions,
                    retrieval,
                    exchange.patientIdentifierSystem(),
                    releases.getIfAvailable() == null || encryptionKey.getIfAvailable() == null
                            ? null
                            : new OfflineRead(
                                    releases.getObject(),
                                    encryptionKey.getObject(),
                                    ledger,
                                    content,
                                    fhirRestfulServer.getFhirContext(),
                                    ledger.account(),
                                    Clock.systemUTC()));
            fhirRestfulServer.registerProvider(fetch);
            fhirRestfulServer.registerProvider(new ImportRemoteOperation(
                    fetch, daos, fhirRestfulServer.getFhirContext(), transactions, new ImportLocks(entityManagers)));
            fhirRestfulServer.registerProvider(
                    new VerifyImportOperation(daos, fhirRestfulServer.getFhirContext(), ledger, pseudonyms));
        };
    }
}
