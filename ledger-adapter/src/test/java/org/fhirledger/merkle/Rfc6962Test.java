package org.fhirledger.merkle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.junit.jupiter.api.Test;

/** Hashing primitives against BouncyCastle's independent SHA-256, and the {@link Hash} value type. */
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
            assertThat(Rfc6962.leafHash(d).bytes()).isEqualTo(bcSha256((byte) 0x00, d));
        }
        Hash l = ProofMutations.randomHash(rnd);
        Hash r = ProofMutations.randomHash(rnd);
        assertThat(Rfc6962.nodeHash(l, r).bytes()).isEqualTo(bcSha256((byte) 0x01, l.bytes(), r.bytes()));
        assertThat(Rfc6962.nodeHash(l, r)).isNotEqualTo(Rfc6962.nodeHash(r, l));
    }

    @Test
    void aLeafCannotImpersonateANode() {
        Random rnd = new Random(2);
        Hash l = ProofMutations.randomHash(rnd);
        Hash r = ProofMutations.randomHash(rnd);
        byte[] concatenated = new byte[64];
        System.arraycopy(l.bytes(), 0, concatenated, 0, 32);
        System.arraycopy(r.bytes(), 0, concatenated, 32, 32);
        assertThat(Rfc6962.leafHash(concatenated)).isNotEqualTo(Rfc6962.nodeHash(l, r));
    }

    @Test
    void emptyRootIsSha256OfNothing() {
        assertThat(Rfc6962.emptyRoot().toHex())
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
        Hash h = Rfc6962.leafHash(new byte[] {1, 2, 3});
        byte[] copy = h.bytes();
        copy[0] ^= 1;
        assertThat(h.bytes()).isNotEqualTo(copy);
        assertThat(Hash.fromHex(h.toHex())).isEqualTo(h).hasSameHashCodeAs(h);
        assertThat(Hash.fromHex(h.toHex().toUpperCase())).isEqualTo(h);
        assertThat(Hash.fromBase64(h.toBase64())).isEqualTo(h);
        assertThatThrownBy(() -> Hash.of(new byte[31]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32 bytes");
        assertThatThrownBy(() -> Hash.fromHex(h.toHex() + "00")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Hash.fromHex("zz" + h.toHex().substring(2)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Hash.fromBase64("AAAA")).isInstanceOf(IllegalArgumentException.class);
    }
}
