package org.fhirledger.server.exchange;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;

/**
 * The server's copy of the consortium's member directory, read again once it is older than the configured
 * time-to-live (membership changes by majority vote, seldom; a removed member is seen within that time).
 */
public final class ConsortiumView {

    private record Snapshot(List<Institution> members, Instant readAt) {}

    private final InstitutionDirectory directory;
    private final String self;
    private final Duration ttl;
    private final Clock clock;
    private volatile Snapshot snapshot;

    public ConsortiumView(InstitutionDirectory directory, String self, Duration ttl, Clock clock) {
        this.directory = directory;
        this.self = self.toLowerCase(Locale.ROOT);
        this.ttl = ttl;
        this.clock = clock;
    }

    /** Every active member (from the copy while it is fresh). */
    public List<Institution> members() {
        Snapshot s = snapshot;
        Instant now = clock.instant();
        if (s == null || !now.isBefore(s.readAt().plus(ttl))) {
            s = new Snapshot(List.copyOf(directory.members()), now);
            snapshot = s;
        }
        return s.members();
    }

    /** The active member with that custodian account, if any. */
    public Optional<Institution> member(String custodian) {
        String wanted = custodian.toLowerCase(Locale.ROOT);
        return members().stream()
                .filter(m -> m.custodian().toLowerCase(Locale.ROOT).equals(wanted))
                .findFirst();
    }

    /** This server's custodian account. */
    public String self() {
        return self;
    }

    /** The next read goes to the chain (after this server changed the directory). */
    public void invalidate() {
        snapshot = null;
    }
}
