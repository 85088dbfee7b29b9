package org.fhirledger.server.proof;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.fhirledger.anchor.AccessAppended;
import org.fhirledger.anchor.LedgerEvent;
import org.fhirledger.anchor.RecordAppended;
import org.fhirledger.bytes.Bytes32;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.StringType;

/**
 * Builds the Parameters of a {@code $verify} answer. Names and value types are the contract with verifiers
 * ({@link org.fhirledger.anchor.VerifyOutput}, docs/verification.md): {@code status} is a code
 * ({@code verified}, {@code pending}, {@code failed}), each problem an {@code issue} string, 64-bit numbers and
 * hashes {@code valueString}, the proof the {@code hash} parts of {@code inclusionProof}.
 */
final class VerifyAnswer {
    static final String VERIFIED = "verified";
    static final String PENDING = "pending";
    static final String FAILED = "failed";
    static final String ERASED = "erased";

    private final Parameters p = new Parameters();
    private final List<String> failures = new ArrayList<>();
    private final List<String> pending = new ArrayList<>();
    private String erased;

    VerifyAnswer put(String name, String value) {
        if (value != null) p.addParameter().setName(name).setValue(new StringType(value));
        return this;
    }

    VerifyAnswer put(String name, long value) {
        return put(name, Long.toString(value));
    }

    VerifyAnswer fail(String issue) {
        failures.add(issue);
        return this;
    }

    VerifyAnswer pending(String issue) {
        pending.add(issue);
        return this;
    }

    /** The resource was erased: status {@code erased} (unless something failed), the note first among the issues. */
    VerifyAnswer erased(String note) {
        erased = note;
        return this;
    }

    boolean failed() {
        return !failures.isEmpty();
    }

    /** The entry's fields: everything a verifier needs to rebuild the leaf. */
    VerifyAnswer entry(LedgerEvent e) {
        put("lane", e.lane().code());
        put("seq", e.seq());
        if (e instanceof RecordAppended r) {
            put("resource", r.resource().toHex());
            put("version", r.version());
            put("patient", r.patient().toHex());
            put("contentHash", r.contentHash().toHex());
            put("cid", "0x" + HexFormat.of().formatHex(r.cid()));
            put("custodian", r.custodian());
        } else {
            AccessAppended a = (AccessAppended) e;
            put("patient", a.patient().toHex());
            put("resource", a.resource().toHex());
            put("actor", a.actor());
            put("action", a.action());
            put("outcome", a.outcome());
            put("time", a.time());
            put("auditHash", a.auditHash().toHex());
        }
        put("privateTx", e.position().txHash());
        put("privateBlock", e.position().blockNumber());
        put("privateBlockHash", e.position().blockHash());
        put("logIndex", e.position().logIndex());
        return this;
    }

    VerifyAnswer proof(List<Bytes32> hashes) {
        Parameters.ParametersParameterComponent proof = p.addParameter().setName("inclusionProof");
        for (Bytes32 h : hashes) proof.addPart().setName("hash").setValue(new StringType(h.toHex()));
        return this;
    }

    Parameters build() {
        String status =
                !failures.isEmpty() ? FAILED : erased != null ? ERASED : !pending.isEmpty() ? PENDING : VERIFIED;
        Parameters out = new Parameters();
        out.addParameter().setName("status").setValue(new CodeType(status));
        if (erased != null) out.addParameter().setName("issue").setValue(new StringType(erased));
        for (String f : failures) out.addParameter().setName("issue").setValue(new StringType(f));
        for (String f : pending) out.addParameter().setName("issue").setValue(new StringType(f));
        out.getParameter().addAll(p.getParameter());
        return out;
    }
}
