package org.fhirledger.ledger;

import java.util.List;
import java.util.Optional;

/**
 * The consortium's member directory (InstitutionDirectory contract): members are admitted and removed by a
 * strict majority of the active members; a member edits only its own entry. Writes are sent as this adapter's
 * account and waited for; refusals come as {@link ContractRevertException} named after the contract's error
 * (e.g. {@code NotMember}, {@code AlreadyMember}, {@code AlreadyApproved}).
 */
public interface InstitutionDirectory {

    boolean isMember(String custodian);

    /** The active member with that custodian account, if any (a removed member is absent). */
    Optional<Institution> member(String custodian);

    /** Every active member, in no particular order. */
    List<Institution> members();

    /** Approvals a proposal needs now. */
    int threshold();

    /** Proposes admitting the institution (this account approves it); returns the proposal id. */
    long proposeAdmission(Institution institution);

    /** Proposes removing a member (this account approves it); returns the proposal id. */
    long proposeRemoval(String custodian);

    /** Approves a proposal; it takes effect in this transaction when the approvals reach the threshold. */
    LedgerReceipt approve(long proposalId);

    /** Moves this member's own endpoint or rotates its own key. */
    LedgerReceipt updateSelf(String fhirBaseUrl, String authKeyJwk);

    Optional<MembershipProposal> proposal(long proposalId);
}
