package org.fhirledger.server.ledger;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.Base64URL;
import java.text.ParseException;
import java.util.Arrays;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.utils.Numeric;

/**
 * The public key this institution authenticates to other members with, as the directory publishes it: the
 * secp256k1 public key of its custodian account as a JWK ({@code ES256K}), its key id the RFC 7638 thumbprint. The
 * private half is the server's ledger key, which it already keeps owner-only (or in its keystore).
 */
public final class InstitutionKey {

    private InstitutionKey() {}

    /** The public JWK (JSON) of the account's key. */
    public static String publicJwk(Credentials account) {
        return signingKey(account).toPublicJWK().toJSONString();
    }

    /**
     * The account's key pair as a JWK (private: never published), to sign with: the same {@code kid} as the
     * published key.
     */
    public static ECKey signingKey(Credentials account) {
        byte[] xy = Numeric.toBytesPadded(account.getEcKeyPair().getPublicKey(), 64);
        try {
            return new ECKey.Builder(
                            Curve.SECP256K1,
                            Base64URL.encode(Arrays.copyOfRange(xy, 0, 32)),
                            Base64URL.encode(Arrays.copyOfRange(xy, 32, 64)))
                    .d(Base64URL.encode(
                            Numeric.toBytesPadded(account.getEcKeyPair().getPrivateKey(), 32)))
                    .keyIDFromThumbprint()
                    .build();
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new IllegalStateException("cannot compute the key's thumbprint", e);
        }
    }

    /**
     * The custodian account (0x-address, lower case) whose key a published JWK is: the address of its secp256k1
     * public key. Refuses a private JWK (it would be published on chain) and any other kind of key.
     */
    public static String accountOf(String publicJwk) {
        try {
            JWK jwk = JWK.parse(publicJwk);
            if (jwk.isPrivate()) {
                throw new IllegalArgumentException("the key holds a private part: give the public JWK only");
            }
            if (!(jwk instanceof ECKey ec) || !Curve.SECP256K1.equals(ec.getCurve())) {
                throw new IllegalArgumentException("the key is not a secp256k1 JWK");
            }
            byte[] xy = new byte[64];
            byte[] x = ec.getX().decode();
            byte[] y = ec.getY().decode();
            if (x.length != 32 || y.length != 32)
                throw new IllegalArgumentException("the key's x or y is not 32 bytes");
            System.arraycopy(x, 0, xy, 0, 32);
            System.arraycopy(y, 0, xy, 32, 32);
            return "0x" + Numeric.toHexStringNoPrefix(Keys.getAddress(xy));
        } catch (ParseException e) {
            throw new IllegalArgumentException("not a JWK (JSON): " + e.getMessage(), e);
        }
    }
}
