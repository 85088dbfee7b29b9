package org.fhirledger.ledger;

/** A contract refused the call with a named custom error, e.g. {@code NotCustodian}. */
public class ContractRevertException extends LedgerException {
    private final String errorName;

    public ContractRevertException(String errorName, String detail) {
        super("contract reverted with " + errorName + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.errorName = errorName;
    }

    public String errorName() {
        return errorName;
    }
}
