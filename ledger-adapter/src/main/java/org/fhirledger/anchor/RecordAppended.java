package org.fhirledger.anchor;

import java.util.Arrays;
import java.util.Objects;
import org.fhirledger.bytes.Bytes32;

/** A {@code RecordAppended} event: one resource version on the record ledger. */
public record RecordAppended(
        ChainPosition position,
        long seq,
        Bytes32 resource,
        long version,
        Bytes32 patient,
        Bytes32 contentHash,
        byte[] cid,
        String custodian)
        implements LedgerEvent {

    public RecordAppended {
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(patient, "patient");
        Objects.requireNonNull(contentHash, "contentHash");
        Objects.requireNonNull(cid, "cid");
        custodian = LedgerLeaf.address(custodian);
        cid = cid.clone();
    }

    @Override
    public Lane lane() {
        return Lane.RECORD;
    }

    @Override
    public byte[] cid() {
        return cid.clone();
    }

    @Override
    public byte[] leafBytes() {
        return LedgerLeaf.record(seq, resource, version, patient, contentHash, cid, custodian);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordAppended r
                && Objects.equals(position, r.position)
                && seq == r.seq
                && resource.equals(r.resource)
                && version == r.version
                && patient.equals(r.patient)
                && contentHash.equals(r.contentHash)
                && Arrays.equals(cid, r.cid)
                && custodian.equals(r.custodian);
    }

    @Override
    public int hashCode() {
        return Objects.hash(position, seq, resource, version, patient, contentHash, Arrays.hashCode(cid), custodian);
    }

    @Override
    public String toString() {
        return "RecordAppended[seq=" + seq + ", resource=" + resource + ", version=" + version + "]";
    }
}
