package org.fhirledger.ledger;

/** A proposal to admit or remove a member; {@code approvals} counts only members active now. */
public record MembershipProposal(long id, Kind kind, String subject, boolean executed, int approvals) {
    public enum Kind {
        ADMIT,
        REMOVE
    }
}
