package org.fhirledger.server.ledger;

import org.fhirledger.ledger.ChainCoordinates;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.KeyReleaseLedger;
import org.fhirledger.ledger.web3j.Web3jLedger;
import org.fhirledger.server.datadir.DataDir;
import org.fhirledger.server.security.SecurityProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;

/**
 * The server's ledger connection (only with {@code ledger.enabled=true}): the signing key, the contract addresses
 * (deployed on first start in dev mode, see {@link LedgerBootstrap}), a connected {@link Web3jLedger} (chain id and
 * contract code checked at start-up; closed with the context, within ledger.close-timeout and at once when the chain
 * is known down) and the "ledger" health indicator.
 */
@Configuration
@ConditionalOnProperty(name = "ledger.enabled", havingValue = "true")
@EnableConfigurationProperties({LedgerProperties.class, EmbeddedChainProperties.class, ExchangeProperties.class})
public class LedgerWiringConfig {

    /** Where this server says it is in the directory when exchange.fhir-base-url is not set (dev). */
    @Value("http://localhost:${server.port:8080}/fhir")
    private String defaultBaseUrl;

    @Bean
    public Credentials ledgerCredentials(LedgerProperties ledger, SecurityProperties security, DataDir dataDir) {
        return LedgerBootstrap.credentials(ledger, security.mode(), dataDir.resolve("chain"));
    }

    @Bean(destroyMethod = "close")
    public Web3jLedger ledger(
            LedgerProperties ledger,
            ExchangeProperties exchange,
            SecurityProperties security,
            Credentials ledgerCredentials,
            ObjectProvider<LedgerConnectedListener> listeners) {
        ContractAddresses contracts =
                LedgerBootstrap.contracts(ledger, exchange, security.mode(), ledgerCredentials, defaultBaseUrl);
        Web3jLedger connected = Web3jLedger.connect(ledger.toLedgerConfig(contracts), ledgerCredentials);
        try {
            listeners.orderedStream().forEach(l -> l.connected(connected));
        } catch (RuntimeException e) {
            connected.close();
            throw e;
        }
        return connected;
    }

    /**
     * The consortium's member directory, read and written as this server's account; none (a null bean) in production
     * when no directory is configured.
     */
    @Bean
    public InstitutionDirectory institutionDirectory(
            LedgerProperties ledger,
            ExchangeProperties exchange,
            SecurityProperties security,
            Credentials ledgerCredentials,
            Web3jLedger connected) {
        return LedgerBootstrap.directory(ledger, exchange, security.mode(), ledgerCredentials, defaultBaseUrl)
                .map(connected::institutionDirectory)
                .orElse(null);
    }

    /**
     * The consortium's released data keys (KeyRelease), read and written as this server's account; none (a null bean)
     * without a directory or, in production, without a configured contract.
     */
    @Bean
    public KeyReleaseLedger keyReleaseLedger(
            LedgerProperties ledger,
            ExchangeProperties exchange,
            ObjectProvider<InstitutionDirectory> directory,
            Web3jLedger connected) {
        // after the directory bean: in dev mode it may write the contracts file this one reads
        if (directory.getIfAvailable() == null && exchange.keyReleaseAddress() == null) return null;
        return LedgerBootstrap.keyRelease(ledger, exchange)
                .map(connected::keyRelease)
                .orElse(null);
    }

    /** This institution as the directory holds it (or will, once admitted): for {@code $membership-request}. */
    @Bean
    public Institution thisInstitution(ExchangeProperties exchange, Credentials ledgerCredentials) {
        return LedgerBootstrap.thisInstitution(exchange, ledgerCredentials, defaultBaseUrl);
    }

    /** Where the ledger lives, for code that names the chain (proofs, the event reader) without using the adapter. */
    @Bean
    public ChainCoordinates chainCoordinates(Web3jLedger connected) {
        return connected.coordinates();
    }

    /** The embedded anvil's snapshots (bin/run), or a node that persists every block itself. */
    @Bean(destroyMethod = "close")
    public ChainDurability chainDurability(
            EmbeddedChainProperties embedded,
            LedgerProperties ledger,
            Web3jLedger connected,
            ObjectProvider<ChainDurability.LostBlocksListener> listeners) {
        if (!embedded.enabled()) return new NodePersistsEveryBlock();
        EmbeddedChain chain = new EmbeddedChain(
                ledger.rpcUrl(), embedded, listeners.orderedStream().toList());
        chain.start();
        return chain;
    }

    /** No snapshots to take: a close that does nothing, so one bean definition serves both. */
    static final class NodePersistsEveryBlock implements ChainDurability, AutoCloseable {
        @Override
        public long durableBlock() {
            return Long.MAX_VALUE;
        }

        @Override
        public void close() {}
    }

    @Bean
    public LedgerHealthIndicator ledgerHealthIndicator(
            LedgerProperties ledger, Credentials ledgerCredentials, Web3jLedger connected) {
        return new LedgerHealthIndicator(
                ledger.rpcUrl(),
                ledger.chainId(),
                Keys.toChecksumAddress(ledgerCredentials.getAddress()),
                connected::outage);
    }
}
