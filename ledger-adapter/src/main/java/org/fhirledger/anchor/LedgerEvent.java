package org.fhirledger.anchor;

import org.fhirledger.bytes.Bytes32;
import org.fhirledger.merkle.Rfc6962;

/**
 * One ledger entry as the private chain logged it: a {@code RecordAppended} or {@code AccessAppended} event of this
 * deployment's RecordLedger / AccessLedger. The Merkle log's leaves are these events in chain order
 * (block number, then log index), encoded by {@link LedgerLeaf}.
 */
public sealed interface LedgerEvent permits RecordAppended, AccessAppended {

    /** Which ledger (contract) logged the entry. */
    enum Lane {
        RECORD,
        ACCESS;

        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Lane ofCode(String code) {
            return valueOf(code.toUpperCase(java.util.Locale.ROOT));
        }
    }

    Lane lane();

    /** Sequence number of the entry in its own ledger (0, 1, 2, ... without gaps per contract). */
    long seq();

    ChainPosition position();

    /** The leaf's entry bytes ({@link LedgerLeaf} layout). */
    byte[] leafBytes();

    /** RFC 6962 leaf hash of {@link #leafBytes()}. */
    default Bytes32 leafHash() {
        return Rfc6962.leafHash(leafBytes());
    }
}
