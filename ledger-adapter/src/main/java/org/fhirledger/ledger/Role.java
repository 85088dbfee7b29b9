package org.fhirledger.ledger;

/** Roles of AccessRegistry; the code is the contract's role number. */
public enum Role {
    ADMIN(1),
    CLINICIAN(2),
    PATIENT(3),
    AUDITOR(4),
    CUSTODIAN(5);

    private final int code;

    Role(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Role ofCode(int code) {
        for (Role r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown role code " + code);
    }
}
