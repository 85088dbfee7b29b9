package org.fhirledger.ledger;

/** Action bits of ConsentRegistry (a consent holds a bitmask of them). */
public enum ConsentAction {
    READ(1),
    WRITE(2);

    private final int bit;

    ConsentAction(int bit) {
        this.bit = bit;
    }

    public int bit() {
        return bit;
    }
}
