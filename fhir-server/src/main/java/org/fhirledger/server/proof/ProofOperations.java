package org.fhirledger.server.proof;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.model.api.annotation.Description;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import java.time.Instant;
import java.util.Optional;
import org.fhirledger.anchor.LedgerEvent;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.content.Cid;
import org.fhirledger.ledger.AccessLedger;
import org.fhirledger.ledger.ChainCoordinates;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.RecordInfo;
import org.fhirledger.ledger.RecordLedger;
import org.fhirledger.merkle.InclusionProof;
import org.fhirledger.merkle.MerkleLog;
import org.fhirledger.merkle.ProofVerifier;
import org.fhirledger.merkle.VerificationException;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.outbox.OutboxStore;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.scrub.ContentCheck;
import org.fhirledger.server.scrub.ContentCondition;
import org.fhirledger.server.version.StoredForm;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.StringType;

/**
 * {@code $verify} on any resource instance or version, and {@code $ledger-status} on the server. The resource is
 * read through HAPI's DAO with the caller's request, so read authorisation (storage interceptors) applies exactly
 * as for a plain read; the answer then holds only hashes, pseudonyms and chain positions.
 */
public final class ProofOperations {

    private final FhirContext fhir;
    private final DaoRegistry daos;
    private final Pseudonyms pseudonyms;
    private final RecordLedger ledger;
    private final AccessLedger accesses;
    private final ChainCoordinates chain;
    private final LeafIndex index;
    private final ProofLog proofLog;
    private final AnchorRecords anchors;
    private final AnchorService service;
    private final LedgerFollower follower;
    private final OutboxStore outbox;
    private final StoredForm storedForm;
    private final ErasedRecords erased;
    private final ContentCheck content;

    ProofOperations(
            FhirContext fhir,
            DaoRegistry daos,
            Pseudonyms pseudonyms,
            RecordLedger ledger,
            AccessLedger accesses,
            ChainCoordinates chain,
            LeafIndex index,
            ProofLog proofLog,
            AnchorRecords anchors,
            AnchorService service,
            LedgerFollower follower,
            OutboxStore outbox,
            ErasedRecords erased,
            ContentCheck content) {
        this.fhir = fhir;
        this.outbox = outbox;
        this.storedForm = new StoredForm(fhir);
        this.daos = daos;
        this.pseudonyms = pseudonyms;
        this.ledger = ledger;
        this.accesses = accesses;
        this.chain = chain;
        this.index = index;
        this.proofLog = proofLog;
        this.anchors = anchors;
        this.service = service;
        this.follower = follower;
        this.erased = erased;
        this.content = content;
    }

    /** {@code [type]/[id]/$verify} (current version) and {@code [type]/[id]/_history/[vid]/$verify}. */
    @Description(
            shortDefinition =
                    "Checks a stored version against its hash on the private chain, its content copy and its anchored inclusion proof")
    @Operation(
            name = "$verify",
            idempotent = true,
            global = true,
            returnParameters = {
                @OperationParam(name = "status", typeName = "code", min = 1, max = 1),
                @OperationParam(name = "issue", typeName = "string", min = 0, max = OperationParam.MAX_UNLIMITED),
                @OperationParam(name = "action", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "actor", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "anchorBlock", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "anchorIndex", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "anchorRegistry", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "anchorTx", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "anchoredAt", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "auditHash", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "cid", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "content", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "contentHash", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "custodian", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "erasedAt", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "lane", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "leafHash", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "leafIndex", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "logIndex", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "outcome", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "patient", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "privateBlock", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "privateBlockHash", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "privateChainCheck", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "privateChainId", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "privateTx", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "publicChainId", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "reference", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "resource", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "rootHash", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "seq", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "storedAuditHash", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "storedContentHash", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "time", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "treeSize", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "version", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "inclusionProof", min = 0, max = 1)
            })
    public Parameters verify(@IdParam IdType id, RequestDetails request) {
        String type = id.getResourceType();
        Optional<Instant> erasedAt = erased.erasedAt(type, id.getIdPart());
        if (erasedAt.isPresent()) return verifyErased(type, id, erasedAt.get());
        IBaseResource resource =
                daos.getResourceDao(type).read(id.hasVersionIdPart() ? id : id.toVersionless(), request);
        IdType read = (IdType) resource.getIdElement();
        Bytes32 stored = CanonicalResource.contentHash(storedForm.of(resource));
        VerifyAnswer a = new VerifyAnswer();
        a.put("reference", type + "/" + read.getIdPart() + "/_history/" + read.getVersionIdPart());
        if (type.equals("AuditEvent")) {
            verifyAccess(a, read.getIdPart(), read.getVersionIdPartAsLong(), stored);
        } else {
            verifyRecord(a, pseudonyms.of(type, read.getIdPart()), read.getVersionIdPartAsLong(), stored);
        }
        return a.build();
    }

    private void verifyRecord(VerifyAnswer a, Bytes32 resource, long version, Bytes32 stored) {
        a.put("storedContentHash", stored.toHex());
        // The follower's position is read before the index: it commits both together, so a block it had passed then
        // has its rows in the index read after. Read the other way round, a step committed in between would make a
        // fresh version look dropped from the index.
        Long followed = follower.position().lastBlock();
        Optional<LeafIndex.Row> row = index.findRecord(resource, version, ledger.account());
        if (row.isEmpty()) {
            Optional<RecordInfo> onChain = chainRecord(a, resource, version);
            if (onChain.isEmpty()) {
                a.pending(
                        "this version is not on the private chain yet (the ledger writer records it after the write)");
                a.put("content", ContentCondition.UNCHECKED.code());
                return;
            }
            RecordInfo info = onChain.get();
            checkContent(a, info.entry().cid());
            if (followed != null && info.receipt().blockNumber() <= followed) {
                a.fail("the private chain records this version (seq "
                        + info.receipt().seq() + ", block "
                        + info.receipt().blockNumber() + ") but the local log index has no entry for it: "
                        + "the index was altered");
            } else {
                a.pending("on the private chain (seq " + info.receipt().seq() + ", block "
                        + info.receipt().blockNumber() + "), not yet in the Merkle log");
            }
            if (!info.entry().contentHash().equals(stored)) {
                a.fail("the stored resource hashes to " + stored.toHex() + ", the private chain records "
                        + info.entry().contentHash().toHex() + ": the stored body was altered");
            }
            return;
        }
        LedgerEvent e = row.get().event();
        Bytes32 recorded = ((org.fhirledger.anchor.RecordAppended) e).contentHash();
        checkContent(a, ((org.fhirledger.anchor.RecordAppended) e).cid());
        if (!recorded.equals(stored)) {
            a.fail("the stored resource hashes to " + stored.toHex() + ", the ledger entry records " + recorded.toHex()
                    + ": the stored body was altered");
        }
        try {
            ledger.contentHashOf(resource, version).ifPresent(onChain -> {
                if (!onChain.equals(recorded)) {
                    a.fail("the local log index records content hash " + recorded.toHex() + ", the private chain "
                            + onChain.toHex() + ": the index was altered");
                }
            });
        } catch (LedgerException ex) {
            a.put("privateChainCheck", "skipped: " + ex.getMessage());
        }
        proveAndAnchor(a, row.get());
    }

    /** {@code content}: whether the content store holds this version's ciphertext intact (read back, CID-verified). */
    private void checkContent(VerifyAnswer a, byte[] cid) {
        Cid parsed;
        try {
            parsed = Cid.fromBytes(cid);
        } catch (IllegalArgumentException ex) {
            a.put("content", ContentCondition.UNCHECKED.code());
            a.fail("the entry's CID is not a valid CID: the entry was altered");
            return;
        }
        ContentCondition c = content == null ? ContentCondition.UNCHECKED : content.of(parsed);
        a.put("content", c.code());
        if (c == ContentCondition.CORRUPTED) {
            a.fail("the content store holds other bytes than this version's ciphertext under its CID: the stored "
                    + "object is damaged (the content scrub repairs it from the database when it can)");
        } else if (c == ContentCondition.MISSING) {
            a.fail("the content store does not hold this version's ciphertext");
        }
    }

    /**
     * An erased resource: nothing is stored to hash, so the answer is the ledger's entry for the version (the content
     * hash it existed with) and its proof. Without a version: the newest entry, for a Patient its erasure entry.
     */
    private Parameters verifyErased(String type, IdType id, Instant erasedAt) {
        Bytes32 resource = pseudonyms.of(type, id.getIdPart());
        VerifyAnswer a = new VerifyAnswer();
        a.erased(
                "erased on " + erasedAt + "; the ledger keeps the hash this version existed with, the content is gone");
        a.put("erasedAt", erasedAt.toString());
        Long version = id.hasVersionIdPart() && id.isVersionIdPartValidLong() ? id.getVersionIdPartAsLong() : null;
        if (version == null) {
            try {
                java.util.List<RecordInfo> history = ledger.recordHistory(resource);
                if (!history.isEmpty())
                    version = history.get(history.size() - 1).entry().version();
            } catch (LedgerException ex) {
                a.put("privateChainCheck", "skipped: " + ex.getMessage());
            }
        }
        if (version == null) {
            a.pending("the erasure entry is not on the private chain yet (the ledger writer records it)");
            return a.build();
        }
        a.put("reference", type + "/" + id.getIdPart() + "/_history/" + version);
        Optional<LeafIndex.Row> row = index.findRecord(resource, version, ledger.account());
        if (row.isPresent()) {
            proveAndAnchor(a, row.get());
            return a.build();
        }
        Optional<RecordInfo> onChain = chainRecord(a, resource, version);
        if (onChain.isEmpty()) {
            a.pending("no ledger entry for this version on the private chain (not recorded yet, or no such version)");
        } else {
            a.put("contentHash", onChain.get().entry().contentHash().toHex());
            a.pending("on the private chain (seq " + onChain.get().receipt().seq() + "), not yet in the Merkle log");
        }
        return a.build();
    }

    private Optional<RecordInfo> chainRecord(VerifyAnswer a, Bytes32 resource, long version) {
        try {
            return ledger.findRecord(resource, version);
        } catch (LedgerException ex) {
            a.put("privateChainCheck", "skipped: " + ex.getMessage());
            return Optional.empty();
        }
    }

    private void verifyAccess(VerifyAnswer a, String id, long version, Bytes32 auditHash) {
        a.put("storedAuditHash", auditHash.toHex());
        // The access entry is found by the hash, so an altered AuditEvent would just look unrecorded: its outbox
        // row holds the hash it was written with.
        Optional<OutboxStore.VersionState> written = outbox.versionState("AuditEvent", id, version);
        if (written.isPresent() && !written.get().contentHash().equals(auditHash)) {
            a.fail("the stored AuditEvent hashes to " + auditHash.toHex() + ", it was recorded with "
                    + written.get().contentHash().toHex() + ": the stored AuditEvent was altered");
            return;
        }
        // read before the index lookup, for the reason verifyRecord reads the follower's position first
        long indexedUpTo = index.nextSeq(LedgerEvent.Lane.ACCESS);
        Optional<LeafIndex.Row> row = index.findAccess(auditHash);
        if (row.isEmpty()) {
            Optional<Long> seq;
            try {
                seq = accesses.accessSeqOf(auditHash);
            } catch (LedgerException ex) {
                a.put("privateChainCheck", "skipped: " + ex.getMessage());
                seq = Optional.empty();
            }
            if (seq.isPresent()) {
                Optional<LeafIndex.Row> atSeq = index.bySeq(LedgerEvent.Lane.ACCESS, seq.get());
                if (atSeq.isPresent()
                        && atSeq.get().event() instanceof org.fhirledger.anchor.AccessAppended e
                        && e.auditHash().equals(auditHash)) {
                    proveAndAnchor(a, atSeq.get()); // indexed since the lookup above
                } else if (atSeq.isPresent() || indexedUpTo > seq.get()) {
                    a.fail("the private chain records this AuditEvent's hash (access seq " + seq.get()
                            + ") but the local log index "
                            + (atSeq.isPresent() ? "holds another hash there" : "lacks it")
                            + ": the index was altered");
                } else {
                    a.pending("on the private chain (access seq " + seq.get() + "), not yet in the Merkle log");
                }
            } else {
                a.pending("no access entry with this AuditEvent's hash on the private chain: not recorded yet, or the "
                        + "stored AuditEvent differs from the one that was recorded");
            }
            return;
        }
        proveAndAnchor(a, row.get());
    }

    private void proveAndAnchor(VerifyAnswer a, LeafIndex.Row row) {
        MerkleLog log = proofLog.log();
        a.entry(row.event());
        a.put("privateChainId", chain.chainId());
        Bytes32 leaf = row.event().leafHash();
        a.put("leafIndex", row.leafIndex());
        a.put("leafHash", leaf.toHex());
        if (row.leafIndex() >= log.size() || !log.leafHash(row.leafIndex()).equals(leaf)) {
            a.fail("the local log index entry does not match leaf " + row.leafIndex() + " of the Merkle log: "
                    + "the index was altered");
            return;
        }
        Optional<AnchorRecords.Row> anchor = anchors.latest();
        if (anchor.isEmpty() || anchor.get().treeSize() <= row.leafIndex()) {
            a.pending("in the Merkle log (leaf " + row.leafIndex() + "), not yet anchored on the public chain");
            return;
        }
        AnchorRecords.Row an = anchor.get();
        InclusionProof proof = log.inclusionProof(row.leafIndex(), an.treeSize());
        a.put("treeSize", an.treeSize());
        a.put("rootHash", an.root().toHex());
        a.proof(proof.hashes());
        a.put("publicChainId", service.properties().chainId());
        service.registryAddress().ifPresent(r -> a.put("anchorRegistry", r));
        a.put("anchorIndex", an.index());
        a.put("anchorTx", an.txHash());
        if (an.blockNumber() != null) a.put("anchorBlock", an.blockNumber());
        a.put("anchoredAt", Instant.ofEpochSecond(an.anchoredAt()).toString());
        try {
            ProofVerifier.verifyInclusion(leaf, proof, an.root());
        } catch (VerificationException ex) {
            a.fail("the inclusion proof does not lead to the anchored root (" + ex.getMessage()
                    + "): the log differs from the anchored history");
        }
    }

    /** {@code $ledger-status}: the log, the follower and the newest anchor. */
    @Description(
            shortDefinition = "The proof log, the ledger follower and the newest public anchor: ok, degraded or alarm")
    @Operation(
            name = "$ledger-status",
            idempotent = true,
            returnParameters = {
                @OperationParam(name = "status", typeName = "code", min = 1, max = 1),
                @OperationParam(name = "alarm", typeName = "string", min = 0, max = OperationParam.MAX_UNLIMITED),
                @OperationParam(name = "anchorIndex", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "anchorJob", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "anchorRegistry", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "anchorTx", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "anchoredAt", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "anchoredRoot", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "anchoredSize", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "followedBlock", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "lagSeconds", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "logSize", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "privateChainError", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "privateChainId", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "publicChainError", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "publicChainId", typeName = "string", min = 0, max = 1),
                @OperationParam(name = "unanchoredEntries", typeName = "string", min = 0, max = 1)
            })
    public Parameters ledgerStatus() {
        Parameters p = new Parameters();
        long size = proofLog.log().size();
        Optional<AnchorRecords.Row> anchor = anchors.latest();
        long anchored = anchor.map(AnchorRecords.Row::treeSize).orElse(0L);
        AnchorService.State s = service.state();
        // the ledger's probe knows of an outage within its interval, before the follower's next read fails
        Optional<String> outage =
                ledger.outage().map(o -> "private chain unreachable since " + o.since() + " (" + o.reason() + ")");
        String status = s.followAlarm().isPresent() || s.historyAlarm().isPresent()
                ? "alarm"
                : s.lastFollowError().isPresent() || s.lastAnchorError().isPresent() || outage.isPresent()
                        ? "degraded"
                        : "ok";
        p.addParameter().setName("status").setValue(new org.hl7.fhir.r4.model.CodeType(status));
        s.followAlarm().ifPresent(x -> str(p, "alarm", x));
        s.historyAlarm().ifPresent(x -> str(p, "alarm", x));
        s.lastFollowError()
                .filter(x -> s.followAlarm().isEmpty())
                .or(() -> outage)
                .ifPresent(x -> str(p, "privateChainError", x));
        s.lastAnchorError().ifPresent(x -> str(p, "publicChainError", x));
        str(p, "anchorJob", s.active() ? "active" : "standby");
        str(p, "privateChainId", Long.toString(chain.chainId()));
        str(p, "logSize", Long.toString(size));
        LedgerFollower.Position pos = follower.position();
        if (pos.lastBlock() != null) str(p, "followedBlock", Long.toString(pos.lastBlock()));
        str(p, "publicChainId", Long.toString(service.properties().chainId()));
        s.registry().ifPresent(r -> str(p, "anchorRegistry", r));
        str(p, "anchoredSize", Long.toString(anchored));
        str(p, "unanchoredEntries", Long.toString(size - anchored));
        anchor.ifPresent(an -> {
            str(p, "anchoredRoot", an.root().toHex());
            str(p, "anchorIndex", Long.toString(an.index()));
            if (an.txHash() != null) str(p, "anchorTx", an.txHash());
            str(p, "anchoredAt", Instant.ofEpochSecond(an.anchoredAt()).toString());
        });
        long lag = size > anchored
                ? Math.max(
                        0,
                        Instant.now().getEpochSecond()
                                - anchor.map(AnchorRecords.Row::anchoredAt)
                                        .orElse(Instant.now().getEpochSecond()))
                : 0;
        str(p, "lagSeconds", Long.toString(lag));
        for (LeafIndex.Break b : index.breaks()) {
            str(
                    p,
                    "chainBreak",
                    "epoch " + b.epoch() + " from leaf " + b.firstLeaf() + " at " + Instant.ofEpochSecond(b.atTime())
                            + ": " + b.reason());
        }
        return p;
    }

    private static void str(Parameters p, String name, String value) {
        p.addParameter().setName(name).setValue(new StringType(value));
    }
}
