package org.fhirledger.server.authz;

import java.util.List;
import org.fhirledger.ledger.ContractRevertException;
import org.fhirledger.ledger.DirectoryLedger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Puts the server's role changes back on the chain after the chain lost blocks: {@link RoleAdminProvider} writes
 * straight to AccessRegistry, so an assignment or revocation mined above the embedded chain's last snapshot is gone
 * after a crash of the node, and a lost revocation would silently give a role back. Told of lost blocks (and by the
 * operator's acceptance of a rewritten chain), this takes the last change per account and role from
 * {@link RoleChanges}, oldest first (a revocation that freed an identity goes before the assignment that bound it
 * elsewhere), and sends only those the chain does not show. Roles the server never changed (the deployment's,
 * bin/dev-token's) are left as they are. A change made while this runs makes it run again; failures (chain down)
 * are retried.
 */
public final class RoleResync extends ResyncAfterLostBlocks {
    private static final Logger log = LoggerFactory.getLogger(RoleResync.class);

    private final ObjectProvider<RoleChanges> changes;
    private final ObjectProvider<DirectoryLedger> ledger;
    private final ObjectProvider<ChainAuthority> chain;
    private volatile int lastSent;

    public RoleResync(
            ObjectProvider<RoleChanges> changes,
            ObjectProvider<DirectoryLedger> ledger,
            ObjectProvider<ChainAuthority> chain) {
        super("roles");
        this.changes = changes;
        this.ledger = ledger;
        this.chain = chain;
    }

    /** How many changes the last completed resync sent. */
    public int lastSent() {
        return lastSent;
    }

    @Override
    protected int resyncOnce() {
        RoleChanges db = changes.getObject();
        long started;
        int sent = 0;
        do {
            started = db.latest();
            sent += resync(db.lastWords());
        } while (db.latest() != started);
        lastSent = sent;
        return sent;
    }

    private int resync(List<RoleChanges.Change> lastWords) {
        DirectoryLedger l = ledger.getObject();
        int sent = 0;
        for (RoleChanges.Change c : lastWords) {
            if (l.hasRole(c.account(), c.role()) == c.assigned()) continue;
            try {
                if (c.assigned()) l.assignRole(c.account(), c.role(), c.identity());
                else l.revokeRole(c.account(), c.role());
                sent++;
            } catch (ContractRevertException e) {
                // e.g. the identity is bound elsewhere on this chain, or the last ADMIN: the chain's word stands
                log.error(
                        "roles: could not send {} of {} for {} again: the chain refused ({})",
                        c.assigned() ? "the assignment" : "the revocation",
                        c.role(),
                        c.account(),
                        e.getMessage());
            }
            chain.getObject().forgetAccount(c.account());
        }
        return sent;
    }
}
