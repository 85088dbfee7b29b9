package org.fhirledger.ledger;

import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The private-chain ledger as the server sees it: appends are batched and complete when their transaction is
 * mined; reads are views on the latest block. Appends are idempotent: an entry already on chain (same resource
 * and version recorded by this adapter's account with the same content hash, or same audit hash) completes with
 * its existing receipt. Record entries are per custodian account: another custodian's entries are not seen.
 */
public interface Ledger extends AutoCloseable {

    /**
     * Queues a record entry; completes with its sequence number once mined, or exceptionally.
     *
     * @throws LedgerClosedException when the adapter is closed
     */
    CompletableFuture<LedgerReceipt> appendRecord(RecordEntry entry);

    /**
     * Queues an access entry; completes with its sequence number once mined, or exceptionally.
     *
     * @throws LedgerClosedException when the adapter is closed
     */
    CompletableFuture<LedgerReceipt> appendAccess(AccessEntry entry);

    /** The entry of (resource, version) this adapter's account recorded, if any (entries are per custodian). */
    Optional<RecordInfo> findRecord(Bytes32 resource, long version);

    /** Every version of the resource this adapter's account recorded, in ledger order. */
    List<RecordInfo> recordHistory(Bytes32 resource);

    /** Every access entry about the patient's compartment (who looked), in ledger order. */
    List<AccessInfo> accessesOfPatient(Bytes32 patient);

    /**
     * The content hash this adapter's account recorded for (resource, version): one view call, for integrity
     * checks on read. Another custodian's entry for the same key is not seen.
     */
    Optional<Bytes32> contentHashOf(Bytes32 resource, long version);

    /** Sequence number of the access entry with that audit hash, if any. */
    Optional<Long> accessSeqOf(Bytes32 auditHash);

    boolean hasRole(String account, Role role);

    /** Every role the account holds (one view call), empty when none. */
    java.util.Set<Role> rolesOf(String account);

    /**
     * Assigns a role bound to a pseudonymous identity as this adapter's account (which must hold ADMIN on chain);
     * waits for it. Reverts (e.g. {@code RoleAlreadyHeld}, {@code IdentityMismatch}) as {@link ContractRevertException}.
     */
    LedgerReceipt assignRole(String account, Role role, Bytes32 identity);

    /** Revokes a role as this adapter's account (ADMIN); waits for it. */
    LedgerReceipt revokeRole(String account, Role role);

    /** The pseudonymous identity bound to the account, if it holds any role. */
    Optional<Bytes32> identityOf(String account);

    /** The account bound to the pseudonymous identity, if any. */
    Optional<String> accountOf(Bytes32 identity);

    /** The consent the patient gave grantee, {@link ConsentGrant#NONE} when none (one view call). */
    ConsentGrant consentOf(Bytes32 patient, String grantee);

    /** Whether grantee may do {@code action} on resources of that type in the patient's compartment at time. */
    boolean isPermitted(Bytes32 patient, String grantee, ConsentAction action, String resourceType, Instant time);

    /**
     * Grants (or replaces) consent as this adapter's account, a CUSTODIAN relaying for the patient: the first
     * custodian to act for a patient becomes its home custodian, another gets {@code NotHomeCustodian}; waits for it.
     */
    LedgerReceipt grantConsent(Bytes32 patient, String grantee, int actions, BigInteger resourceTypes, Instant expiry);

    /** Revokes consent as this adapter's account (same rule as {@link #grantConsent}); waits for it. */
    LedgerReceipt revokeConsent(Bytes32 patient, String grantee);

    /** Registers a listener for role and consent changes from now on; close the handle to unregister. */
    AutoCloseable addListener(LedgerListener listener);

    /** This adapter's account address. */
    String account();

    /** Stops accepting entries, waits (bounded) for queued and in-flight entries, fails what remains. */
    @Override
    void close();

    /** Present while the node is known to be unreachable (reads then fail at once); empty when it answers. */
    default Optional<LedgerOutage> outage() {
        return Optional.empty();
    }
}
