package org.fhirledger.server.exchange;

import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.PreparedStatement;
import java.util.Collection;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import org.hibernate.Session;
import org.springframework.orm.jpa.EntityManagerFactoryUtils;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Serialises the imports of one member's resource (docs/exchange.md, import with Provenance): whether a copy exists
 * is decided and the copy written under a lock held until the importing transaction ends, so two concurrent imports
 * of the same version store one copy. On PostgreSQL a transaction-level advisory lock
 * ({@code pg_advisory_xact_lock}), which holds across replicas and is released by the commit or rollback (or when the
 * session dies); on any other database (the embedded H2 file database, which only one process opens) a lock of this
 * JVM, released after the transaction completes.
 */
final class ImportLocks {
    private static final int STRIPES = 256;
    private static final ReentrantLock[] LOCAL = new ReentrantLock[STRIPES];

    static {
        for (int i = 0; i < STRIPES; i++) LOCAL[i] = new ReentrantLock();
    }

    private final EntityManagerFactory entityManagers;
    private volatile Boolean postgres;

    ImportLocks(EntityManagerFactory entityManagers) {
        this.entityManagers = entityManagers;
    }

    /**
     * Takes the locks of these keys (e.g. {@code <member's custodian>/<Type>/<id>}) for the rest of the current
     * transaction, always in the same order (no deadlock between two imports of overlapping sets).
     */
    void lockForTransaction(Collection<String> keys) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            throw new IllegalStateException("import locks are taken inside the importing transaction");
        }
        TreeSet<Long> ordered = new TreeSet<>();
        for (String k : keys) ordered.add(keyOf(k));
        if (ordered.isEmpty()) return;
        EntityManager em = EntityManagerFactoryUtils.getTransactionalEntityManager(entityManagers);
        if (em == null) throw new IllegalStateException("no entity manager bound to the importing transaction");
        Session session = em.unwrap(Session.class);
        session.doWork(c -> {
            if (postgres == null) {
                postgres = c.getMetaData()
                        .getDatabaseProductName()
                        .toLowerCase(Locale.ROOT)
                        .contains("postgres");
            }
            if (!postgres) return;
            try (PreparedStatement ps = c.prepareStatement("select pg_advisory_xact_lock(?)")) {
                for (long k : ordered) {
                    ps.setLong(1, k);
                    ps.execute();
                }
            }
        });
        if (postgres) return;
        TreeSet<Integer> stripes = new TreeSet<>();
        for (long k : ordered) stripes.add((int) Math.floorMod(k, (long) STRIPES));
        for (int s : stripes) LOCAL[s].lock();
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCompletion(int status) {
                for (int s : stripes.descendingSet()) LOCAL[s].unlock();
            }
        });
    }

    /** The 64-bit advisory lock key: the first 8 bytes of SHA-256 of a fixed label and the key. */
    static long keyOf(String key) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256")
                    .digest(("fhir-ledger/import|" + key).getBytes(StandardCharsets.UTF_8));
            long k = 0;
            for (int i = 0; i < 8; i++) k = (k << 8) | (d[i] & 0xff);
            return k;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
