package org.fhirledger.ledger;

import java.util.Optional;
import java.util.Set;
import org.fhirledger.bytes.Bytes32;

/** Roles and pseudonymous identities of accounts (AccessRegistry contract). */
public interface DirectoryLedger extends LedgerStatus {

    boolean hasRole(String account, Role role);

    /** Every role the account holds (one view call), empty when none. */
    Set<Role> rolesOf(String account);

    /**
     * Assigns a role bound to a pseudonymous identity as this adapter's account (a member's custodian account, or an
     * ADMIN of a member institution); waits for it. The account joins this account's institution with its first role. Reverts (e.g. {@code RoleAlreadyHeld}, {@code IdentityMismatch}) as {@link ContractRevertException}.
     */
    LedgerReceipt assignRole(String account, Role role, Bytes32 identity);

    /** Revokes a role as this adapter's account (ADMIN); waits for it. */
    LedgerReceipt revokeRole(String account, Role role);

    /** The pseudonymous identity bound to the account, if it holds any role. */
    Optional<Bytes32> identityOf(String account);

    /**
     * The custodian account of the institution the account belongs to (it was enrolled under), if it holds any role.
     * An ADMIN changes roles only of accounts of its own institution ({@code OtherInstitution} otherwise).
     */
    Optional<String> institutionOf(String account);

    /** The account bound to the pseudonymous identity, if any. */
    Optional<String> accountOf(Bytes32 identity);
}
