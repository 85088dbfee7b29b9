package org.fhirledger.server.authz;

import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import java.util.Locale;
import org.fhirledger.ledger.ContractRevertException;
import org.fhirledger.ledger.DirectoryLedger;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.Role;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.StringType;

/**
 * {@code POST /fhir/$assign-role} (account, role, fhirUser) and {@code POST /fhir/$revoke-role} (account, role):
 * an ADMIN's changes to AccessRegistry, signed by the server's account (which must hold ADMIN on chain). The
 * account is bound to the pseudonym of the fhirUser, never the fhirUser itself.
 */
public final class RoleAdminProvider {

	private final DirectoryLedger ledger;
	private final ChainAuthority chain;
	private final Pseudonyms pseudonyms;

	public RoleAdminProvider(DirectoryLedger ledger, ChainAuthority chain, Pseudonyms pseudonyms) {
		this.ledger = ledger;
		this.chain = chain;
		this.pseudonyms = pseudonyms;
	}

	@Operation(name = "$assign-role", idempotent = false)
	public Parameters assignRole(@OperationParam(name = "account", min = 1, max = 1) StringType account,
			@OperationParam(name = "role", min = 1, max = 1) StringType role,
			@OperationParam(name = "fhirUser", min = 1, max = 1) StringType fhirUser) {
		String address = address(account);
		Role r = role(role);
		String user = fhirUser == null ? null : fhirUser.getValue();
		if (user == null || !user.matches("(Practitioner|PractitionerRole|Patient|RelatedPerson|Person|Organization|Device)/[A-Za-z0-9\\-.]{1,64}")) {
			throw new InvalidRequestException("fhirUser must be a relative reference such as Practitioner/123");
		}
		LedgerReceipt receipt = call(() -> ledger.assignRole(address, r, pseudonyms.of(user)));
		chain.forgetAccount(address);
		return result(address, r, receipt);
	}

	@Operation(name = "$revoke-role", idempotent = false)
	public Parameters revokeRole(@OperationParam(name = "account", min = 1, max = 1) StringType account,
			@OperationParam(name = "role", min = 1, max = 1) StringType role) {
		String address = address(account);
		Role r = role(role);
		LedgerReceipt receipt = call(() -> ledger.revokeRole(address, r));
		chain.forgetAccount(address);
		return result(address, r, receipt);
	}

	private static Parameters result(String address, Role role, LedgerReceipt receipt) {
		Parameters out = new Parameters();
		out.addParameter().setName("account").setValue(new StringType(address));
		out.addParameter().setName("role").setValue(new StringType(role.name()));
		out.addParameter().setName("transaction").setValue(new StringType(receipt.txHash()));
		out.addParameter().setName("block").setValue(new IntegerType(Math.toIntExact(receipt.blockNumber())));
		return out;
	}

	private static String address(StringType account) {
		String a = account == null ? null : account.getValue();
		if (a == null || !a.matches("0x[0-9a-fA-F]{40}")) {
			throw new InvalidRequestException("account must be a ledger address (0x followed by 40 hex digits)");
		}
		return a.toLowerCase(Locale.ROOT);
	}

	private static Role role(StringType role) {
		String r = role == null ? "" : role.getValue().toUpperCase(Locale.ROOT);
		try {
			return Role.valueOf(r);
		} catch (IllegalArgumentException e) {
			throw new InvalidRequestException("role must be one of ADMIN, CLINICIAN, PATIENT, AUDITOR, CUSTODIAN");
		}
	}

	private static LedgerReceipt call(java.util.function.Supplier<LedgerReceipt> chainCall) {
		try {
			return chainCall.get();
		} catch (ContractRevertException e) {
			throw new ResourceVersionConflictException("The ledger refused the change: " + e.getMessage());
		} catch (LedgerException e) {
			throw new AuthorizationUnavailableException("The ledger cannot be reached; nothing changed. Retry later.", e);
		}
	}
}
