package org.fhirledger.server.exchange;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.interfaces.ECPublicKey;

/**
 * ES256K signers and verifiers from Nimbus JOSE on Bouncy Castle: the JDK's own provider no longer implements the
 * secp256k1 curve the members' ledger keys are on.
 */
final class Secp256k1 {

    private Secp256k1() {}

    static JWSSigner signer(ECKey key) throws JOSEException {
        requireCurve(key);
        ECDSASigner signer =
                new ECDSASigner(key.toECPrivateKey(BouncyCastleProviderSingleton.getInstance()), Curve.SECP256K1);
        signer.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
        return signer;
    }

    /** The claims as a compact JWS signed ES256K with the key, the header naming its type and key id. */
    static String sign(ECKey key, JOSEObjectType type, JWTClaimsSet claims) throws JOSEException {
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.ES256K)
                        .type(type)
                        .keyID(key.getKeyID())
                        .build(),
                claims);
        jwt.sign(signer(key));
        return jwt.serialize();
    }

    static JWSVerifier verifier(ECKey key) throws JOSEException {
        return verifier(publicKey(key));
    }

    static JWSVerifier verifier(ECPublicKey key) throws JOSEException {
        ECDSAVerifier verifier = new ECDSAVerifier(key);
        verifier.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
        return verifier;
    }

    static ECPublicKey publicKey(ECKey key) throws JOSEException {
        requireCurve(key);
        return key.toECPublicKey(BouncyCastleProviderSingleton.getInstance());
    }

    private static void requireCurve(ECKey key) throws JOSEException {
        if (!Curve.SECP256K1.equals(key.getCurve())) throw new JOSEException("not a secp256k1 key");
    }
}
