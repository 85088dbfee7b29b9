package org.fhirledger.merkle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.fhirledger.bytes.Bytes32;
import org.junit.jupiter.api.Test;

/** Hashing primitives against BouncyCastle's independent SHA-256, and the {@link Bytes32} value type. */
class Rfc6962Test {

    private static byte[] bcSha256(byte prefix, byte[]... parts) {
        SHA256Digest d = new SHA256Digest();
        d.update(prefix);
        for (byte[] p : parts) {
            d.update(p, 0, p.length);
        }
        byte[] out = new byte[32];
        d.doFinal(out, 0);
        return out;
    }

    @Test
    void leafAndNodeHashesUseDomainPrefixes() {
        Random rnd = new Random(1);
        for (int len = 0; len < 200; len += 13) {
            byte[] d = new byte[len];
            rnd.nextBytes(d);
            assertThat(Rfc6962.leafHash(d).toArray()).isEqualTo(bcSha256((byte) 0x00, d));
        }
        Bytes32 l = ProofMutations.randomHash(rnd);
        Bytes32 r = ProofMutations.randomHash(rnd);
        assertThat(Rfc6962.nodeHash(l, r).toArray()).isEqualTo(bcSha256((byte) 0x01, l.toArray(), r.toArray()));
        assertThat(Rfc6962.nodeHash(l, r)).isNotEqualTo(Rfc6962.nodeHash(r, l));
    }

    @Test
    void aLeafCannotImpersonateANode() {
        Random rnd = new Random(2);
        Bytes32 l = ProofMutations.randomHash(rnd);
        Bytes32 r = ProofMutations.randomHash(rnd);
        byte[] concatenated = new byte[64];
        System.arraycopy(l.toArray(), 0, concatenated, 0, 32);
        System.arraycopy(r.toArray(), 0, concatenated, 32, 32);
        assertThat(Rfc6962.leafHash(concatenated)).isNotEqualTo(Rfc6962.nodeHash(l, r));
    }

    @Test
    void emptyRootIsSha256OfNothing() {
        assertThat(Rfc6962.emptyRoot().toHexDigits())
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void splitPointIsLargestPowerOfTwoStrictlyBelow() {
        for (int n = 2; n <= 5000; n++) {
            assertThat(Rfc6962.splitPoint(n)).as("k(%d)", n).isEqualTo(ReferenceTree.k(n));
        }
        assertThat(Rfc6962.splitPoint(1L << 40)).isEqualTo(1L << 39);
        assertThat(Rfc6962.splitPoint((1L << 40) + 1)).isEqualTo(1L << 40);
        assertThatThrownBy(() -> Rfc6962.splitPoint(1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hashIsAnImmutableThirtyTwoByteValue() {
        Bytes32 h = Rfc6962.leafHash(new byte[] {1, 2, 3});
        byte[] copy = h.toArray();
        copy[0] ^= 1;
        assertThat(h.toArray()).isNotEqualTo(copy);
        assertThat(Bytes32.fromHex(h.toHexDigits())).isEqualTo(h).hasSameHashCodeAs(h);
        assertThat(Bytes32.fromHex(h.toHexDigits().toUpperCase())).isEqualTo(h);
        assertThat(Bytes32.fromBase64(h.toBase64())).isEqualTo(h);
        assertThatThrownBy(() -> Bytes32.of(new byte[31]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32 bytes");
        assertThatThrownBy(() -> Bytes32.fromHex(h.toHexDigits() + "00")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Bytes32.fromHex("zz" + h.toHexDigits().substring(2)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Bytes32.fromBase64("AAAA")).isInstanceOf(IllegalArgumentException.class);
    }
}
