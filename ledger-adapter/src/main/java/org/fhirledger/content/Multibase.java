package org.fhirledger.content;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.Arrays;

/** The two multibase alphabets IPFS nodes answer with: base32 lower ('b', Kubo) and base58btc ('z', js-ipfs, CIDv0). */
final class Multibase {
    private static final String BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
    private static final String BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private static final BigInteger FIFTY_EIGHT = BigInteger.valueOf(58);

    private Multibase() {}

    static String encodeBase32(byte[] data) {
        StringBuilder out = new StringBuilder((data.length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(BASE32.charAt((buffer >> (bits - 5)) & 0x1f));
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(BASE32.charAt((buffer << (5 - bits)) & 0x1f));
        }
        return out.toString();
    }

    static byte[] decodeBase32(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() * 5 / 8);
        int buffer = 0;
        int bits = 0;
        for (int i = 0; i < text.length(); i++) {
            int v = BASE32.indexOf(Character.toLowerCase(text.charAt(i)));
            if (v < 0) {
                throw new IllegalArgumentException("not a base32 character at " + i + ": '" + text.charAt(i) + "'");
            }
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                out.write((buffer >> (bits - 8)) & 0xff);
                bits -= 8;
            }
        }
        // Unpadded RFC 4648: leftover bits must be zero padding, else the text was not produced by an encoder.
        if ((buffer & ((1 << bits) - 1)) != 0 || bits >= 5) {
            throw new IllegalArgumentException("base32 text has non-canonical trailing bits");
        }
        return out.toByteArray();
    }

    static String encodeBase58(byte[] data) {
        int zeros = 0;
        while (zeros < data.length && data[zeros] == 0) {
            zeros++;
        }
        StringBuilder out = new StringBuilder();
        BigInteger n = new BigInteger(1, data);
        while (n.signum() > 0) {
            BigInteger[] qr = n.divideAndRemainder(FIFTY_EIGHT);
            out.append(BASE58.charAt(qr[1].intValue()));
            n = qr[0];
        }
        out.append("1".repeat(zeros));
        return out.reverse().toString();
    }

    static byte[] decodeBase58(String text) {
        int zeros = 0;
        while (zeros < text.length() && text.charAt(zeros) == '1') {
            zeros++;
        }
        BigInteger n = BigInteger.ZERO;
        for (int i = 0; i < text.length(); i++) {
            int v = BASE58.indexOf(text.charAt(i));
            if (v < 0) {
                throw new IllegalArgumentException("not a base58btc character at " + i + ": '" + text.charAt(i) + "'");
            }
            n = n.multiply(FIFTY_EIGHT).add(BigInteger.valueOf(v));
        }
        byte[] magnitude = n.signum() == 0 ? new byte[0] : n.toByteArray();
        if (magnitude.length > 0 && magnitude[0] == 0) {
            magnitude = Arrays.copyOfRange(magnitude, 1, magnitude.length);
        }
        byte[] out = new byte[zeros + magnitude.length];
        System.arraycopy(magnitude, 0, out, zeros, magnitude.length);
        return out;
    }
}
