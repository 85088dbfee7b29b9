package org.fhirledger.server.scrub;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.fhirledger.content.Cid;
import org.fhirledger.content.ContentStoreException;
import org.fhirledger.server.lifecycle.DaemonLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Reads stored envelopes back at a bounded rate and checks them against their CIDs (the store's own verification).
 * A corrupted or missing object is re-put from the envelope the outbox keeps: the same ciphertext, hence the same
 * CID (an IPFS node first drops the blocks it holds under that CID: its add keeps them); the object is then read
 * back once more. What cannot be repaired (no kept envelope, a kept envelope that no
 * longer hashes to the CID, a store that keeps the damaged object) stays an alarm in the health indicator until a
 * later check finds the object intact. Logs name outbox ids and CIDs only (no PHI).
 */
public class ContentScrubber implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ContentScrubber.class);

    /** An object the scrub could not repair. */
    public record Damage(String cid, ContentCondition condition, String reason, long at) {}

    private final StoredEnvelopes rows;
    private final ContentCheck check;
    private final ContentScrubProperties settings;
    private final Map<Long, Damage> unrepaired = new ConcurrentHashMap<>();
    private final Object signal = new Object();
    private final DaemonLoop worker = new DaemonLoop("content-scrub", this::loop, 10_000);
    private long cursor;
    private volatile long checked;
    private volatile long repaired;
    private volatile long passes;
    private volatile String lastError;

    ContentScrubber(StoredEnvelopes rows, ContentCheck check, ContentScrubProperties settings) {
        this.rows = rows;
        this.check = check;
        this.settings = settings;
    }

    @Override
    public synchronized void start() {
        if (settings.enabled()) worker.start();
    }

    @Override
    public void stop() {
        worker.stop(() -> {
            synchronized (signal) {
                signal.notifyAll();
            }
        });
    }

    @Override
    public boolean isRunning() {
        return worker.running();
    }

    private void loop() {
        while (worker.running()) {
            try {
                round();
                lastError = null;
            } catch (RuntimeException e) {
                // e.g. the database briefly unreachable: try again next round
                lastError = e.getClass().getSimpleName();
                log.warn("content scrub round failed: {}", e.getClass().getSimpleName());
            }
            synchronized (signal) {
                if (!worker.running()) break;
                try {
                    signal.wait(settings.interval().toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Checks the next objects after the cursor; at the end of the table a pass is complete and starts over. */
    synchronized void round() {
        List<StoredEnvelopes.Row> batch = rows.after(cursor, settings.objectsPerInterval());
        if (batch.isEmpty()) {
            if (cursor > 0) passes++;
            cursor = 0;
            return;
        }
        for (StoredEnvelopes.Row row : batch) {
            scrub(row);
            cursor = row.id();
        }
    }

    private void scrub(StoredEnvelopes.Row row) {
        Cid cid = Cid.parse(row.cid());
        ContentCondition found = check.of(cid);
        checked++;
        if (found == ContentCondition.INTACT) {
            if (unrepaired.remove(row.id()) != null)
                log.info("content scrub: outbox row {} ({}) is intact again", row.id(), cid);
            return;
        }
        if (found == ContentCondition.UNCHECKED) return; // store unreachable: the writer's health reports that
        String reason = repair(row, cid);
        if (reason == null) {
            unrepaired.remove(row.id());
            repaired++;
            log.warn(
                    "content scrub: outbox row {} ({}) was {}; repaired from the kept envelope",
                    row.id(),
                    cid,
                    found.code());
            return;
        }
        Damage before = unrepaired.put(row.id(), new Damage(cid.toString(), found, reason, System.currentTimeMillis()));
        if (before == null) {
            log.error(
                    "content scrub: outbox row {} ({}) is {} and cannot be repaired: {}",
                    row.id(),
                    cid,
                    found.code(),
                    reason);
        }
    }

    /** Null when repaired, else why not. */
    private String repair(StoredEnvelopes.Row row, Cid cid) {
        if (!settings.repair()) return "repair is off (content-scrub.repair=false)";
        byte[] envelope = rows.envelope(row.id());
        if (envelope == null) return "the outbox keeps no envelope for this version";
        try {
            Cid put = check.store().replace(envelope); // put alone keeps a damaged block an IPFS node already has
            if (!put.equals(cid)) return "the kept envelope hashes to another CID";
        } catch (ContentStoreException e) {
            return "the store refused the envelope (" + e.getClass().getSimpleName() + ")";
        }
        ContentCondition after = check.of(cid);
        return after == ContentCondition.INTACT ? null : "still " + after.code() + " after re-putting the envelope";
    }

    /** Objects found damaged and not repaired, by outbox row id. */
    public Map<Long, Damage> unrepaired() {
        return Map.copyOf(unrepaired);
    }

    public long checked() {
        return checked;
    }

    public long repaired() {
        return repaired;
    }

    public long passes() {
        return passes;
    }

    public String lastError() {
        return lastError;
    }

    public boolean enabled() {
        return settings.enabled();
    }
}
