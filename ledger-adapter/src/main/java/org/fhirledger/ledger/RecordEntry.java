package org.fhirledger.ledger;

import java.util.Arrays;
import java.util.Objects;
import org.fhirledger.bytes.Bytes32;

/**
 * One resource version for the record ledger. {@code patient} is {@link Bytes32#ZERO} for resources outside
 * any patient compartment; {@code cid} is the binary CID of the encrypted content.
 */
public record RecordEntry(Bytes32 resource, long version, Bytes32 contentHash, byte[] cid, Bytes32 patient) {
    public RecordEntry {
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(contentHash, "contentHash");
        Objects.requireNonNull(cid, "cid");
        Objects.requireNonNull(patient, "patient");
        if (resource.isZero()) throw new IllegalArgumentException("resource pseudonym is zero");
        if (version <= 0) throw new IllegalArgumentException("version must be positive: " + version);
        if (contentHash.isZero()) throw new IllegalArgumentException("content hash is zero");
        if (cid.length == 0) throw new IllegalArgumentException("cid is empty");
        cid = cid.clone();
    }

    @Override
    public byte[] cid() {
        return cid.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordEntry e
                && resource.equals(e.resource)
                && version == e.version
                && contentHash.equals(e.contentHash)
                && Arrays.equals(cid, e.cid)
                && patient.equals(e.patient);
    }

    @Override
    public int hashCode() {
        return Objects.hash(resource, version, contentHash, Arrays.hashCode(cid), patient);
    }

    @Override
    public String toString() {
        return "RecordEntry[resource=" + resource + ", version=" + version + "]";
    }
}
