package org.fhirledger.server.proof;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.server.RestfulServer;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.fhirledger.anchor.LedgerEventSource;
import org.fhirledger.anchor.web3j.LedgerEventReader;
import org.fhirledger.ledger.ChainCoordinates;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.server.datadir.DataDir;
import org.fhirledger.server.fhir.BackgroundConnections;
import org.fhirledger.server.ledger.ChainDurability;
import org.fhirledger.server.ledger.EmbeddedChainProperties;
import org.fhirledger.server.ledger.LedgerProperties;
import org.fhirledger.server.outbox.OutboxStore;
import org.fhirledger.server.outbox.WriterLock;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.scrub.ContentCheck;
import org.fhirledger.server.security.SecurityProperties;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Public anchoring and proofs (with {@code anchor.enabled=true}, which needs {@code ledger.enabled=true}): the proof
 * tables, the Merkle log in the database, the chain follower and anchorer ({@link AnchorService}), and the
 * {@code $verify} / {@code $ledger-status} operations registered on the FHIR server.
 */
@Configuration
@ConditionalOnProperty(name = "anchor.enabled", havingValue = "true")
@EnableConfigurationProperties(AnchorProperties.class)
public class ProofConfig {

    /** Plain JDBC transactions on the same database, for the proof tables only (HAPI keeps its JPA manager). */
    @Bean
    public TransactionTemplate proofTransactions(DataSource dataSource) {
        return new TransactionTemplate(new DataSourceTransactionManager(dataSource));
    }

    @Bean
    public ProofLog proofLog(DataSource dataSource, TransactionTemplate proofTransactions) {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        ProofSchema.create(jdbc);
        return new ProofLog(new JdbcHashStore(jdbc, proofTransactions));
    }

    @Bean
    public LeafIndex leafIndex(DataSource dataSource, ProofLog proofLog) {
        return new LeafIndex(new JdbcTemplate(dataSource));
    }

    @Bean
    public AnchorRecords anchorRecords(DataSource dataSource, ProofLog proofLog) {
        return new AnchorRecords(new JdbcTemplate(dataSource));
    }

    @Bean(destroyMethod = "close")
    public LedgerEventSource ledgerEventReader(ChainCoordinates chain, LedgerProperties ledgerProperties) {
        ContractAddresses c = chain.contracts();
        return LedgerEventReader.create(
                chain.rpcUrl(),
                c.recordLedger(),
                c.accessLedger(),
                ledgerProperties.maxLogsRange(),
                ledgerProperties.rpcTimeout());
    }

    @Bean
    public LedgerFollower ledgerFollower(
            LedgerEventSource reader,
            ProofLog proofLog,
            LeafIndex leafIndex,
            DataSource dataSource,
            TransactionTemplate proofTransactions,
            ChainCoordinates chain,
            AnchorProperties anchor,
            LedgerProperties ledgerProperties,
            ChainDurability durability,
            EmbeddedChainProperties embedded) {
        return new LedgerFollower(
                reader,
                proofLog,
                leafIndex,
                new JdbcTemplate(dataSource),
                proofTransactions,
                chain.contracts().fromBlock(),
                anchor.confirmations(),
                10 * ledgerProperties.maxLogsRange(),
                durability::durableBlock,
                embedded.acceptRewrittenChain());
    }

    @Bean(destroyMethod = "close")
    public AnchorService anchorService(
            AnchorProperties anchor,
            SecurityProperties security,
            LedgerFollower follower,
            ProofLog proofLog,
            AnchorRecords anchorRecords,
            LedgerProperties ledgerProperties,
            DataDir dataDir,
            DataSource dataSource,
            BackgroundConnections background) {
        if (anchor.registryFile() == null) {
            throw new IllegalStateException("anchor.registry-file is not set");
        }
        Path dir = dataDir.resolve("public-chain");
        // the lock's session for as long as this replica anchors: on the background pool, never a request's
        WriterLock lock = WriterLock.forJob(background.dataSource(), WriterLock.postgres(dataSource), "anchor-job");
        AnchorChainConnection connection = AnchorBootstrap.connection(
                anchor,
                security.mode(),
                AnchorBootstrap.credentials(anchor, security.mode(), dir),
                ledgerProperties.maxLogsRange());
        AnchorService s = new AnchorService(anchor, connection, follower, proofLog, anchorRecords, lock);
        s.start();
        return s;
    }

    @Bean
    public ProofOperations proofOperations(
            FhirContext fhirContext,
            DaoRegistry daoRegistry,
            Pseudonyms pseudonyms,
            Ledger ledger,
            ChainCoordinates chain,
            LeafIndex leafIndex,
            ProofLog proofLog,
            AnchorRecords anchorRecords,
            AnchorService anchorService,
            LedgerFollower follower,
            OutboxStore outbox,
            org.springframework.beans.factory.ObjectProvider<ErasedRecords> erased,
            org.springframework.beans.factory.ObjectProvider<ContentCheck> contentCheck) {
        return new ProofOperations(
                fhirContext,
                daoRegistry,
                pseudonyms,
                ledger,
                ledger,
                chain,
                leafIndex,
                proofLog,
                anchorRecords,
                anchorService,
                follower,
                outbox,
                erased.getIfAvailable(() -> ErasedRecords.NONE),
                contentCheck.getIfAvailable());
    }

    /** Adds the operations to the FHIR server once every bean exists (before the servlet starts). */
    @Bean
    public SmartInitializingSingleton registerProofOperations(RestfulServer fhirRestfulServer, ProofOperations ops) {
        return () -> fhirRestfulServer.registerProvider(ops);
    }
}
