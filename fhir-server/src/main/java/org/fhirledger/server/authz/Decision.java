package org.fhirledger.server.authz;

/** An authorisation answer; {@code breakGlass} when only an open break-glass window allowed it. */
public record Decision(boolean allowed, boolean breakGlass, String reason) {

    public static final Decision ALLOW = new Decision(true, false, null);

    public static Decision deny(String reason) {
        return new Decision(false, false, reason);
    }

    static Decision allowByBreakGlass() {
        return new Decision(true, true, null);
    }

    /** Both must allow; the first refusal wins; break-glass if either needed it. */
    Decision and(Decision other) {
        if (!allowed) return this;
        if (!other.allowed) return other;
        return breakGlass || other.breakGlass ? allowByBreakGlass() : ALLOW;
    }
}
