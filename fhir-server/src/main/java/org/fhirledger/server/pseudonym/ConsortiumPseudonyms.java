package org.fhirledger.server.pseudonym;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.crypto.Pseudonymizer;
import org.fhirledger.files.OwnerOnlyFiles;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;

/**
 * The consortium-wide pseudonym of a person (docs/exchange.md): HMAC-SHA256(K_consortium, UTF-8 of
 * {@code "v<key version>|<system>|<value>"}) of a shared identifier — the national patient id (its system
 * configured) or an NPI — so that every member derives the same pseudonym from its own records, while each keeps
 * its local ids and its local pseudonyms. The key is the consortium's, shared by its members out of band, never on
 * chain; the key version is part of the input, so pseudonyms under a rotated key never collide with the old ones.
 */
public final class ConsortiumPseudonyms {

    /** The NPI's identifier system, for practitioners. */
    public static final String NPI = "http://hl7.org/fhir/sid/us-npi";

    private final Pseudonymizer key;
    private final int keyVersion;
    private final String patientSystem;

    public ConsortiumPseudonyms(Pseudonymizer key, int keyVersion, String patientSystem) {
        if (keyVersion < 1) throw new IllegalArgumentException("the consortium key version starts at 1");
        this.key = Objects.requireNonNull(key);
        this.keyVersion = keyVersion;
        this.patientSystem = Objects.requireNonNull(patientSystem);
    }

    /**
     * The consortium key from its file: a hex secret of at least 16 bytes, owner-only. Absent, a new one is created
     * (dev; the other members must then be given this file).
     */
    public static Pseudonymizer keyFrom(Path file) {
        try {
            OwnerOnlyFiles.createDirectory(file.toAbsolutePath().getParent());
            if (!Files.exists(file)) {
                byte[] secret = new byte[32];
                new SecureRandom().nextBytes(secret);
                OwnerOnlyFiles.createIfAbsent(
                        file, HexFormat.of().formatHex(secret).getBytes(StandardCharsets.US_ASCII));
            }
            String hex = new String(OwnerOnlyFiles.read(file), StandardCharsets.US_ASCII).trim();
            return Pseudonymizer.fromSecret(HexFormat.of().parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the consortium key file " + file + " does not hold a hex secret", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the consortium key file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The pseudonym of a shared identifier. */
    public Bytes32 of(String system, String value) {
        if (system == null || system.isBlank() || value == null || value.isBlank()) {
            throw new IllegalArgumentException("a shared identifier needs a system and a value");
        }
        return Bytes32.of(key.pseudonym("v" + keyVersion + "|" + system + "|" + value));
    }

    /** The patient's consortium pseudonym: of its identifier in the configured shared system, if it has one. */
    public Optional<Bytes32> ofPatient(Patient patient) {
        return sharedValue(patient.getIdentifier(), patientSystem).map(v -> of(patientSystem, v));
    }

    /** A practitioner's consortium pseudonym, of its NPI. */
    public Bytes32 ofNpi(String npi) {
        return of(NPI, npi);
    }

    public int keyVersion() {
        return keyVersion;
    }

    private static Optional<String> sharedValue(java.util.List<Identifier> identifiers, String system) {
        return identifiers.stream()
                .filter(i -> system.equals(i.getSystem())
                        && i.hasValue()
                        && !i.getValue().isBlank())
                .map(Identifier::getValue)
                .findFirst();
    }
}
