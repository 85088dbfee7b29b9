package org.fhirledger.content;

import java.io.ByteArrayOutputStream;

/** Unsigned LEB128 varints, as used by multiformats and protobuf. */
final class Varint {
    private Varint() {}

    static void write(ByteArrayOutputStream out, long value) {
        if (value < 0) {
            throw new IllegalArgumentException("varint must be unsigned: " + value);
        }
        while ((value & ~0x7fL) != 0) {
            out.write((int) ((value & 0x7f) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }

    static int size(long value) {
        int n = 1;
        while ((value & ~0x7fL) != 0) {
            value >>>= 7;
            n++;
        }
        return n;
    }

    /** Reads a varint at pos[0] and advances pos[0]; rejects overlong or truncated input. */
    static long read(byte[] in, int[] pos) {
        long result = 0;
        for (int shift = 0; shift < 63; shift += 7) {
            if (pos[0] >= in.length) {
                throw new IllegalArgumentException("truncated varint");
            }
            int b = in[pos[0]++] & 0xff;
            result |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                if (b == 0 && shift > 0) {
                    throw new IllegalArgumentException("non-minimal varint");
                }
                return result;
            }
        }
        throw new IllegalArgumentException("varint too long");
    }
}
