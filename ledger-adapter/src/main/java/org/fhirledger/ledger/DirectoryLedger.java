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
}
