package org.fhirledger.anchor;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Locale;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.merkle.Rfc6962;

/**
 * The bytes of one ledger entry that become a Merkle leaf ({@code leaf hash = SHA-256(0x00 ‖ bytes)}, RFC 6962).
 * Fixed-width big-endian fields, a type byte first, the one variable field (the CID) length-prefixed and last, so
 * two different entries never encode alike and a record never reads as an access entry. Every field is what the
 * chain's event carries, so anyone reading the private chain's logs rebuilds the same bytes; none is PHI.
 *
 * <pre>
 * record entry (RecordAppended), 137 + n bytes:
 *   offset  size  field
 *        0     1  0x01 (type: record)
 *        1     8  seq          uint64, the entry's sequence number in RecordLedger
 *        9    32  resource     bytes32, pseudonym of "Type/id"
 *       41     8  version      uint64, the FHIR version id
 *       49    32  patient      bytes32, the patient's pseudonym (zero outside any compartment)
 *       81    32  contentHash  bytes32, SHA-256 of the canonical resource JSON
 *      113    20  custodian    address of the custodian that wrote the entry
 *      133     4  n            uint32, length of the CID
 *      137     n  cid          the binary CID of the encrypted content
 *
 * access entry (AccessAppended), 135 bytes:
 *        0     1  0x02 (type: access)
 *        1     8  seq          uint64, the entry's sequence number in AccessLedger
 *        9    32  patient      bytes32
 *       41    32  resource     bytes32
 *       73    20  actor        address
 *       93     1  action       uint8
 *       94     1  outcome      uint8 (0 allowed, 1 denied)
 *       95     8  time         uint64, unix seconds
 *      103    32  auditHash    bytes32, SHA-256 of the canonical AuditEvent JSON
 * </pre>
 *
 * Chain positions (block, transaction) are not in the leaf: they are where to look on the private chain, while
 * the leaf is what was recorded.
 */
public final class LedgerLeaf {

    public static final byte RECORD = 0x01;
    public static final byte ACCESS = 0x02;
    public static final int RECORD_FIXED_SIZE = 137;
    public static final int ACCESS_SIZE = 135;

    private LedgerLeaf() {}

    public static byte[] record(
            long seq,
            Bytes32 resource,
            long version,
            Bytes32 patient,
            Bytes32 contentHash,
            byte[] cid,
            String custodian) {
        ByteBuffer b = ByteBuffer.allocate(RECORD_FIXED_SIZE + cid.length);
        b.put(RECORD)
                .putLong(seq)
                .put(resource.toArray())
                .putLong(version)
                .put(patient.toArray())
                .put(contentHash.toArray())
                .put(addressBytes(custodian))
                .putInt(cid.length)
                .put(cid);
        return b.array();
    }

    public static byte[] access(
            long seq,
            Bytes32 patient,
            Bytes32 resource,
            String actor,
            int action,
            int outcome,
            long time,
            Bytes32 auditHash) {
        if (action < 0 || action > 255 || outcome < 0 || outcome > 255) {
            throw new IllegalArgumentException("action and outcome are uint8");
        }
        ByteBuffer b = ByteBuffer.allocate(ACCESS_SIZE);
        b.put(ACCESS)
                .putLong(seq)
                .put(patient.toArray())
                .put(resource.toArray())
                .put(addressBytes(actor))
                .put((byte) action)
                .put((byte) outcome)
                .putLong(time)
                .put(auditHash.toArray());
        return b.array();
    }

    /** RFC 6962 leaf hash of entry bytes. */
    public static Bytes32 leafHash(byte[] entryBytes) {
        return Rfc6962.leafHash(entryBytes);
    }

    /** An address in one canonical form: {@code 0x} + 40 lower-case hex digits. */
    static String address(String address) {
        if (address == null || !address.matches("0x[0-9a-fA-F]{40}")) {
            throw new IllegalArgumentException("not an address: " + address);
        }
        return address.toLowerCase(Locale.ROOT);
    }

    private static byte[] addressBytes(String address) {
        return HexFormat.of().parseHex(address(address).substring(2));
    }
}
