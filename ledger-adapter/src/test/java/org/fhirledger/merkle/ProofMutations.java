package org.fhirledger.merkle;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongFunction;
import org.fhirledger.bytes.Bytes32;

/**
 * Derives invalid inputs from a valid proof, each of which a verifier must reject. Size mutations pair the
 * new size with that size's true root (what a forger would look up in the anchor), see docs/merkle.md.
 */
final class ProofMutations {

    private ProofMutations() {}

    static Bytes32 flipBit(Bytes32 h, Random rnd) {
        byte[] b = h.toArray();
        int bit = rnd.nextInt(Bytes32.SIZE * 8);
        b[bit / 8] ^= (byte) (1 << (bit % 8));
        return Bytes32.of(b);
    }

    static Bytes32 randomHash(Random rnd) {
        byte[] b = new byte[Bytes32.SIZE];
        rnd.nextBytes(b);
        return Bytes32.of(b);
    }

    private static List<Bytes32> replaced(List<Bytes32> l, int i, Bytes32 h) {
        List<Bytes32> out = new ArrayList<>(l);
        out.set(i, h);
        return out;
    }

    private static List<Bytes32> appended(List<Bytes32> l, Bytes32 h) {
        List<Bytes32> out = new ArrayList<>(l);
        out.add(h);
        return out;
    }

    /**
     * @param rootOfSize true root for a tree size, or null where unknown
     */
    static List<InclusionCase> inclusion(InclusionCase v, LongFunction<Bytes32> rootOfSize, Random rnd) {
        List<InclusionCase> out = new ArrayList<>();
        List<Bytes32> p = v.hashes();
        long i = v.leafIndex();
        long n = v.treeSize();
        for (int j = 0; j < p.size(); j++) {
            out.add(v.with(
                    "flipped bit in hashes[" + j + "]",
                    v.leafHash(),
                    i,
                    n,
                    replaced(p, j, flipBit(p.get(j), rnd)),
                    v.rootHash()));
        }
        out.add(v.with("flipped bit in leaf hash", flipBit(v.leafHash(), rnd), i, n, p, v.rootHash()));
        out.add(v.with("flipped bit in root", v.leafHash(), i, n, p, flipBit(v.rootHash(), rnd)));
        if (i + 1 < n) {
            out.add(v.with("wrong index (+1)", v.leafHash(), i + 1, n, p, v.rootHash()));
        }
        if (i > 0) {
            out.add(v.with("wrong index (-1)", v.leafHash(), i - 1, n, p, v.rootHash()));
        }
        out.add(v.with("index equals size", v.leafHash(), n, n, p, v.rootHash()));
        out.add(v.with("negative index", v.leafHash(), -1, n, p, v.rootHash()));
        Bytes32 smaller = n > 1 ? rootOfSize.apply(n - 1) : null;
        if (smaller != null) {
            out.add(v.with("wrong size (-1, with that size's root)", v.leafHash(), i, n - 1, p, smaller));
        }
        Bytes32 larger = rootOfSize.apply(n + 1);
        if (larger != null) {
            out.add(v.with("wrong size (+1, with that size's root)", v.leafHash(), i, n + 1, p, larger));
        }
        out.add(v.with("size zero", v.leafHash(), i, 0, p, v.rootHash()));
        if (!p.isEmpty()) {
            out.add(v.with(
                    "truncated (last hash dropped)", v.leafHash(), i, n, p.subList(0, p.size() - 1), v.rootHash()));
            out.add(v.with("truncated (first hash dropped)", v.leafHash(), i, n, p.subList(1, p.size()), v.rootHash()));
            out.add(v.with("empty proof where one is needed", v.leafHash(), i, n, List.of(), v.rootHash()));
            out.add(v.with(
                    "trailing garbage (last hash repeated)",
                    v.leafHash(),
                    i,
                    n,
                    appended(p, p.get(p.size() - 1)),
                    v.rootHash()));
        }
        out.add(v.with(
                "trailing garbage (random hash)", v.leafHash(), i, n, appended(p, randomHash(rnd)), v.rootHash()));
        if (p.size() >= 2 && !p.get(0).equals(p.get(1))) {
            List<Bytes32> swapped = new ArrayList<>(p);
            swapped.set(0, p.get(1));
            swapped.set(1, p.get(0));
            out.add(v.with("hashes[0] and hashes[1] swapped", v.leafHash(), i, n, swapped, v.rootHash()));
        }
        if (!v.leafHash().equals(v.rootHash())) {
            out.add(v.with("root given as leaf", v.rootHash(), i, n, p, v.rootHash()));
        }
        return out;
    }

    static List<ConsistencyCase> consistency(ConsistencyCase v, LongFunction<Bytes32> rootOfSize, Random rnd) {
        List<ConsistencyCase> out = new ArrayList<>();
        List<Bytes32> p = v.hashes();
        long m = v.size1();
        long n = v.size2();
        for (int j = 0; j < p.size(); j++) {
            out.add(new ConsistencyCase(
                    "flipped bit in hashes[" + j + "]",
                    m,
                    n,
                    v.root1(),
                    v.root2(),
                    replaced(p, j, flipBit(p.get(j), rnd))));
        }
        out.add(new ConsistencyCase("flipped bit in first root", m, n, flipBit(v.root1(), rnd), v.root2(), p));
        if (m > 0) {
            // Every tree extends the empty tree, so with size1 = 0 any second root is consistent.
            out.add(new ConsistencyCase("flipped bit in second root", m, n, v.root1(), flipBit(v.root2(), rnd), p));
        }
        if (!v.root1().equals(v.root2())) {
            out.add(new ConsistencyCase("roots swapped", m, n, v.root2(), v.root1(), p));
        }
        if (m != n) {
            out.add(new ConsistencyCase("size1 > size2 (sizes and roots swapped)", n, m, v.root2(), v.root1(), p));
        }
        // From the empty tree every tree is consistent, so size mutations there could yield valid inputs.
        if (m > 0) {
            Bytes32 r;
            if (m > 1 && (r = rootOfSize.apply(m - 1)) != null) {
                out.add(new ConsistencyCase("wrong size1 (-1, with that size's root)", m - 1, n, r, v.root2(), p));
            }
            if ((r = rootOfSize.apply(m + 1)) != null) {
                out.add(new ConsistencyCase("wrong size1 (+1, with that size's root)", m + 1, n, r, v.root2(), p));
            }
            if (n > 1 && (r = rootOfSize.apply(n - 1)) != null) {
                out.add(new ConsistencyCase("wrong size2 (-1, with that size's root)", m, n - 1, v.root1(), r, p));
            }
            if ((r = rootOfSize.apply(n + 1)) != null) {
                out.add(new ConsistencyCase("wrong size2 (+1, with that size's root)", m, n + 1, v.root1(), r, p));
            }
        }
        if (!p.isEmpty()) {
            out.add(new ConsistencyCase(
                    "truncated (last hash dropped)", m, n, v.root1(), v.root2(), p.subList(0, p.size() - 1)));
            out.add(new ConsistencyCase(
                    "truncated (first hash dropped)", m, n, v.root1(), v.root2(), p.subList(1, p.size())));
            out.add(new ConsistencyCase("empty proof where one is needed", m, n, v.root1(), v.root2(), List.of()));
            out.add(new ConsistencyCase(
                    "trailing garbage (last hash repeated)",
                    m,
                    n,
                    v.root1(),
                    v.root2(),
                    appended(p, p.get(p.size() - 1))));
        }
        out.add(new ConsistencyCase(
                "trailing garbage (random hash)", m, n, v.root1(), v.root2(), appended(p, randomHash(rnd))));
        if (m > 0 && m < n && Long.bitCount(m) == 1) {
            // For a power-of-two size1 the RFC proof omits root1; sending it anyway is one hash too many.
            List<Bytes32> withRoot1 = new ArrayList<>();
            withRoot1.add(v.root1());
            withRoot1.addAll(p);
            out.add(new ConsistencyCase("first root prepended to proof", m, n, v.root1(), v.root2(), withRoot1));
        }
        return out;
    }
}
