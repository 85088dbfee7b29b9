package org.fhirledger.server.outbox;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import javax.sql.DataSource;
import org.fhirledger.content.ContentStore;
import org.fhirledger.content.DagLayout;
import org.fhirledger.content.KuboConfig;
import org.fhirledger.content.KuboContentStore;
import org.fhirledger.content.LocalContentStore;
import org.fhirledger.crypto.EnvelopeCipher;
import org.fhirledger.crypto.FileDataKeyStore;
import org.fhirledger.crypto.FileKeyVault;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.server.datadir.DataDir;
import org.fhirledger.server.fhir.BackgroundConnections;
import org.fhirledger.server.fhir.RefusedCapabilities;
import org.fhirledger.server.pseudonym.ConsortiumPseudonyms;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.hl7.fhir.r4.model.IdType;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The write pipeline (only with {@code ledger.enabled=true}): the outbox table and the pre-commit hook that fills
 * it, the envelope cipher and the content store, the ledger writer with its per-account lock, the "outbox" health
 * indicator. The read-side integrity check is its own feature (integrity/). See docs/write-pipeline.md.
 */
@Configuration
@ConditionalOnProperty(name = "ledger.enabled", havingValue = "true")
@EnableConfigurationProperties({OutboxProperties.class, ContentStoreProperties.class})
public class WritePipelineConfig {

    /**
     * Tags versioned with their version: with HAPI's default (non-versioned) tags, changing a tag would change what
     * every older version serves, and it would no longer match its ledger record.
     */
    @Bean
    public static BeanPostProcessor versionedTags() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessBeforeInitialization(Object bean, String name) {
                if (bean instanceof JpaStorageSettings settings) {
                    settings.setTagStorageMode(JpaStorageSettings.TagStorageModeEnum.VERSIONED);
                }
                return bean;
            }
        };
    }

    /** See {@link InPlaceChangeRefusal}. */
    @Bean
    public RefusedCapabilities inPlaceChanges() {
        return RefusedCapabilities.operations(InPlaceChangeRefusal.OPERATIONS);
    }

    @Bean
    public OutboxStore outboxStore(DataSource dataSource) {
        OutboxStore store = new OutboxStore(dataSource);
        store.createSchema();
        return store;
    }

    /** Key files under {@code ${data-dir}/keys}; data key ids are patient pseudonyms or "server". */
    @Bean
    public EnvelopeCipher envelopeCipher(DataDir dataDir) {
        Path dir = dataDir.path();
        return new EnvelopeCipher(FileKeyVault.open(dir), new FileDataKeyStore(dir));
    }

    @Bean
    public ContentStore contentStore(ContentStoreProperties settings, DataDir dataDir) {
        if (settings.ipfsApiUrl() == null)
            return new LocalContentStore(settings.localDirOr(dataDir.path()), settings.maxBytes());
        KuboConfig d = KuboConfig.defaults(URI.create(settings.ipfsApiUrl()));
        // Few attempts per call: the ledger writer retries with its own backoff and reports the outage.
        return new KuboContentStore(d.withMaxContentBytes(settings.maxBytes())
                .withTimeouts(d.connectTimeout(), settings.requestTimeout(), d.lookupTimeout())
                .withRetries(settings.maxAttempts(), d.initialBackoff(), d.maxBackoff())
                .withLayout(DagLayout.DEFAULT));
    }

    @Bean
    public LedgerWriter ledgerWriter(
            OutboxStore store,
            Ledger ledger,
            ContentStore contentStore,
            BackgroundConnections background,
            OutboxProperties settings,
            LostEntries lostEntries,
            ObjectProvider<LedgerWriter.ConfirmationListener> listeners) {
        // the lock's session for as long as this replica writes: on the background pool, never a request's
        WriterLock lock = WriterLock.forAccount(background.dataSource(), store.postgres(), ledger.account());
        return new LedgerWriter(
                store,
                ledger,
                contentStore,
                lock,
                settings,
                lostEntries,
                (row, receipt) -> listeners.orderedStream().forEach(l -> l.confirmed(row, receipt)));
    }

    /** Records again what the private chain lost (told by the embedded chain; used by the operator's recovery). */
    @Bean
    public LostEntries lostEntries(OutboxStore store, Ledger ledger, ObjectProvider<LedgerWriter> writer) {
        return new LostEntries(store, ledger, ledger, () -> writer.ifAvailable(LedgerWriter::wake));
    }

    /** The patient each record entry carries on chain: consortium pseudonym or local (docs/exchange.md). */
    @Bean
    public LedgerPatients ledgerPatients(
            OutboxStore store, ConsortiumPseudonyms consortium, ObjectProvider<DaoRegistry> daos) {
        LedgerPatients patients = new LedgerPatients(store.jdbc(), consortium, id -> {
            try {
                return Optional.of(daos.getObject()
                        .getResourceDao("Patient")
                        .read(new IdType("Patient", id), new SystemRequestDetails()));
            } catch (BaseServerResponseException | IllegalArgumentException absent) {
                return Optional.empty(); // absent or deleted: the entry carries the local pseudonym
            }
        });
        patients.createSchema();
        return patients;
    }

    @Bean
    public VersionCapture versionCapture(
            IInterceptorService interceptors,
            RestfulServer server,
            FhirContext ctx,
            Pseudonyms pseudonyms,
            EnvelopeCipher cipher,
            OutboxStore store,
            LedgerPatients ledgerPatients,
            Ledger ledger,
            LedgerWriter writer) {
        server.registerInterceptor(new InPlaceChangeRefusal());
        AuditAccessMapping audits = new AuditAccessMapping(pseudonyms::of, ledger.account());
        VersionCapture capture = new VersionCapture(
                new VersionRecorder(ctx, pseudonyms, cipher, audits, store, ledgerPatients, writer::wake));
        interceptors.registerInterceptor(capture);
        return capture;
    }

    @Bean
    public OutboxHealthIndicator outboxHealthIndicator(
            OutboxStore store,
            LedgerWriter writer,
            OutboxProperties settings,
            ContentStoreProperties content,
            DataDir dataDir,
            Ledger ledger) {
        return new OutboxHealthIndicator(
                store,
                writer,
                settings.stalledAfter(),
                content.kind(),
                content.location(dataDir.path()),
                ledger::outage);
    }
}
