package org.fhirledger.server.benchmark;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Reads a JFR recording's execution samples inside the given windows and prints where the time goes: the hottest
 * top frames (self time), the hottest project frames (the first {@code org.fhirledger} frame from the top:
 * inclusive time of the project's own code) and a few named costs (any frame of the stack matching).
 */
public final class HotFrames {

    record Window(Instant from, Instant to) {}

    /** Named costs: a sample counts when any of its frames starts with one of the prefixes. */
    static final Map<String, List<String>> COSTS = new LinkedHashMap<>();

    static {
        COSTS.put(
                "JSON encoding (HAPI parser encode)",
                List.of(
                        "ca.uhn.fhir.parser.BaseParser.encodeResourceToString",
                        "ca.uhn.fhir.parser.BaseParser.encodeResourceToWriter"));
        COSTS.put("JSON parsing (HAPI parser parse)", List.of("ca.uhn.fhir.parser.BaseParser.parseResource"));
        COSTS.put(
                "canonical form / content hash (project)",
                List.of("org.fhirledger.record.CanonicalResource", "org.fhirledger.server.version.StoredForm"));
        COSTS.put("integrity check on read (integrity)", List.of("org.fhirledger.server.integrity."));
        COSTS.put("SHA-256 / Keccak", List.of("sun.security.provider.DigestBase", "org.bouncycastle.crypto.digests"));
        COSTS.put(
                "AES-GCM (Tink / JCE)",
                List.of("com.google.crypto.tink.", "com.sun.crypto.provider.GaloisCounterMode"));
        COSTS.put(
                "fsync (FileChannel.force / FileDescriptor.sync)",
                List.of("sun.nio.ch.FileChannelImpl.force", "java.io.FileDescriptor.sync"));
        COSTS.put("authorisation (authz)", List.of("org.fhirledger.server.authz."));
        COSTS.put("audit (audit)", List.of("org.fhirledger.server.audit."));
        COSTS.put("write pipeline (outbox)", List.of("org.fhirledger.server.outbox."));
        COSTS.put("Merkle log / anchoring (proof)", List.of("org.fhirledger.server.proof.", "org.fhirledger.merkle."));
        COSTS.put(
                "JWT checking",
                List.of("org.springframework.security.oauth2.jwt.", "com.nimbusds.jwt.", "com.nimbusds.jose."));
        COSTS.put("Hibernate flush/query", List.of("org.hibernate."));
        COSTS.put("H2 engine", List.of("org.h2."));
        COSTS.put("PostgreSQL driver", List.of("org.postgresql."));
    }

    /** {@code HotFrames recording.jfr}: the same tables for a whole recording. */
    public static void main(String[] args) throws Exception {
        print(Path.of(args[0]), List.of(new Window(Instant.MIN, Instant.MAX)), 15);
    }

    static void print(Path recording, List<Window> windows, int top) throws Exception {
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> project = new HashMap<>();
        Map<String, Integer> costs = new LinkedHashMap<>();
        Map<String, Integer> threads = new HashMap<>();
        Map<String, Integer> natives = new HashMap<>();
        int samples = 0;
        int nativeSamples = 0;
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                RecordedEvent e = file.readEvent();
                String type = e.getEventType().getName();
                if (!type.equals("jdk.ExecutionSample") && !type.equals("jdk.NativeMethodSample")) continue;
                Instant at = e.getStartTime();
                if (windows.stream().noneMatch(w -> !at.isBefore(w.from()) && at.isBefore(w.to()))) continue;
                RecordedStackTrace st = e.getStackTrace();
                if (st == null || st.getFrames().isEmpty()) continue;
                if (type.equals("jdk.NativeMethodSample")) {
                    // threads inside native code: waiting on a socket (the database, the chain), on a disk sync, ...
                    String t = e.getThread("sampledThread") == null
                            ? null
                            : e.getThread("sampledThread").getJavaName();
                    if (t == null || !t.startsWith("http-nio-") || !t.contains("-exec-")) continue;
                    nativeSamples++;
                    natives.merge(name(st.getFrames().get(0)) + " <- " + caller(st.getFrames()), 1, Integer::sum);
                    continue;
                }
                samples++;
                List<RecordedFrame> frames = st.getFrames();
                self.merge(name(frames.get(0)), 1, Integer::sum);
                String thread = e.getThread("sampledThread") == null
                        ? "?"
                        : e.getThread("sampledThread").getJavaName();
                threads.merge(
                        thread == null
                                ? "?"
                                : thread.replaceAll("[-#]?\\d+$", "-N").replaceAll("\\d+", "N"),
                        1,
                        Integer::sum);
                String owner = "(no project frame: HAPI, Spring, Hibernate, database, JDK)";
                for (RecordedFrame f : frames) {
                    String n = name(f);
                    if (n.startsWith("org.fhirledger.")) {
                        // the servlet filters sit under every request: work below them only is HAPI's
                        if (!n.startsWith("org.fhirledger.server.web.") && !n.contains("Filter.")) owner = n;
                        break;
                    }
                }
                project.merge(owner, 1, Integer::sum);
                for (Map.Entry<String, List<String>> c : COSTS.entrySet()) {
                    if (frames.stream().anyMatch(f -> c.getValue().stream().anyMatch(name(f)::startsWith)))
                        costs.merge(c.getKey(), 1, Integer::sum);
                }
            }
        }
        System.out.printf("%nJFR %s: %d execution samples in the everything-on phases%n", recording, samples);
        table("top frames (self time)", self, samples, top);
        table("project frames (first org.fhirledger frame from the top: inclusive)", project, samples, top);
        table("threads", threads, samples, 10);
        System.out.printf("%nrequest threads in native code: %d samples%n", nativeSamples);
        table("native frame <- first caller outside the JDK (request threads)", natives, nativeSamples, 10);
        System.out.println("\n| named cost (any frame of the sample) | samples | share |\n|---|---:|---:|");
        for (String c : COSTS.keySet())
            System.out.printf(
                    "| %s | %d | %.1f %% |%n",
                    c, costs.getOrDefault(c, 0), 100.0 * costs.getOrDefault(c, 0) / Math.max(1, samples));
    }

    private static void table(String title, Map<String, Integer> counts, int samples, int top) {
        System.out.printf("%n| %s | samples | share |%n|---|---:|---:|%n", title);
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(top)
                .forEach(e -> System.out.printf(
                        "| `%s` | %d | %.1f %% |%n",
                        e.getKey(), e.getValue(), 100.0 * e.getValue() / Math.max(1, samples)));
    }

    private static String caller(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            String n = name(f);
            if (!n.startsWith("java.") && !n.startsWith("sun.") && !n.startsWith("jdk.")) return n;
        }
        return "?";
    }

    private static String name(RecordedFrame f) {
        if (f.getMethod() == null) return "?";
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }
}
