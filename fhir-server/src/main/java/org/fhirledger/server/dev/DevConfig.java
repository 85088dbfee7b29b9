package org.fhirledger.server.dev;

import org.fhirledger.server.datadir.DataDir;
import org.fhirledger.server.ledger.CustodianEnrolledListener;
import org.fhirledger.server.ledger.LedgerConnectedListener;
import org.fhirledger.server.ledger.LedgerProperties;
import org.fhirledger.server.security.SecurityMode;
import org.fhirledger.server.security.SecurityProperties;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Dev mode's identities on the ledger (only with {@code ledger.enabled=true}): once the ledger is connected, the dev
 * ADMIN holds ADMIN and the chain's coordinates are written for bin/dev-token ({@link DevLedgerRoles}). In
 * production mode nothing happens.
 */
@Configuration
@ConditionalOnProperty(name = "ledger.enabled", havingValue = "true")
public class DevConfig {

    @Bean
    public LedgerConnectedListener devAdminOnTheChain(
            SecurityProperties security, LedgerProperties ledger, DataDir dataDir) {
        return connected -> {
            if (security.mode() != SecurityMode.DEV) return;
            DevLedgerRoles.prepare(
                    dataDir.path(), connected, ledger.rpcUrl(), ledger.chainId(), ledger.contractsFile());
        };
    }

    /** A dev server the consortium admitted after it started: its dev ADMIN gets ADMIN once it enrolled itself. */
    @Bean
    public CustodianEnrolledListener devAdminOnceEnrolled(SecurityProperties security, DataDir dataDir) {
        return connected -> {
            if (security.mode() != SecurityMode.DEV) return;
            DevLedgerRoles.enrolAdmin(dataDir.path(), connected);
        };
    }
}
