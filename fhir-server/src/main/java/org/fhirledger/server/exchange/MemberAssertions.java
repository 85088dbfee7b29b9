package org.fhirledger.server.exchange;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Locale;
import java.util.UUID;
import org.fhirledger.server.ledger.InstitutionKey;
import org.web3j.crypto.Credentials;

/**
 * The client side of retrieval between members: a SMART Backend Services client assertion (RFC 7523) this server
 * signs with its ledger key, the key the directory publishes for it, to obtain a token from another member
 * ({@code iss} = {@code sub} = this server's custodian account, {@code aud} = that member's token endpoint, a
 * short {@code exp}, a fresh {@code jti}, and the ledger account of the clinician it acts for).
 */
public final class MemberAssertions {

    /** Where a member's server takes assertions: {@code <its FHIR base URL>/$member-token}. */
    public static final String TOKEN_PATH = "/$member-token";
    /** The claim naming the ledger account of the clinician the member acts for. */
    public static final String ON_BEHALF_OF = "on_behalf_of";

    private final ECKey key;
    private final String custodian;
    private final Clock clock;

    public MemberAssertions(Credentials ledgerKey, Clock clock) {
        this.key = InstitutionKey.signingKey(ledgerKey);
        this.custodian = ledgerKey.getAddress().toLowerCase(Locale.ROOT);
        this.clock = clock;
    }

    /** The token endpoint of the member whose directory entry gives this FHIR base URL. */
    public static String tokenEndpoint(String fhirBaseUrl) {
        return fhirBaseUrl.replaceAll("/+$", "") + TOKEN_PATH;
    }

    /**
     * @param audience  the other member's token endpoint ({@link #tokenEndpoint})
     * @param clinician the ledger account of the clinician this server acts for
     * @param lifetime  how long the assertion is valid (a member refuses long-lived ones)
     */
    public String sign(String audience, String clinician, Duration lifetime) {
        Instant now = clock.instant();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(custodian)
                .subject(custodian)
                .audience(audience)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(lifetime)))
                .jwtID(UUID.randomUUID().toString())
                .claim(ON_BEHALF_OF, clinician.toLowerCase(Locale.ROOT))
                .build();
        return sign(claims);
    }

    /** Signs any claims as this member (for tests of what a member refuses). */
    String sign(JWTClaimsSet claims) {
        try {
            return Secp256k1.sign(key, JOSEObjectType.JWT, claims);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a client assertion with the ledger key", e);
        }
    }
}
