package org.fhirledger.server.pseudonym;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.crypto.Pseudonymizer;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two institutions with the consortium key name the same patient alike, whatever their local ids and secrets. */
class ConsortiumPseudonymsTest {

    private static final String NATIONAL = "urn:oid:2.16.840.1.113883.4.1";

    @TempDir
    Path dir;

    private static Patient patient(String localId, String system, String value) {
        Patient p = new Patient();
        p.setId(localId);
        p.addIdentifier().setSystem("urn:local:mrn").setValue("mrn-" + localId);
        if (system != null) p.addIdentifier().setSystem(system).setValue(value);
        return p;
    }

    @Test
    void membersWithTheConsortiumKeyDeriveOnePseudonymFromTheSharedIdentifier() throws Exception {
        Path keyFile = dir.resolve("keys/consortium-key.hex");
        ConsortiumPseudonyms atA = new ConsortiumPseudonyms(ConsortiumPseudonyms.keyFrom(keyFile), 1, NATIONAL);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)))
                .isEqualTo("rw-------");
        // B was given the same key file: it reads the same key, it does not create another
        ConsortiumPseudonyms atB = new ConsortiumPseudonyms(ConsortiumPseudonyms.keyFrom(keyFile), 1, NATIONAL);

        Bytes32 a = atA.ofPatient(patient("123", NATIONAL, "078-05-1120")).orElseThrow();
        assertThat(atB.ofPatient(patient("9", NATIONAL, "078-05-1120"))).hasValue(a);
        assertThat(atB.ofPatient(patient("9", NATIONAL, "078-05-1121")).orElseThrow())
                .isNotEqualTo(a);
        assertThat(atA.ofNpi("1234567893")).isEqualTo(atB.ofNpi("1234567893"));
        assertThat(atA.ofNpi("1234567893")).isNotEqualTo(atA.of(NATIONAL, "1234567893"));

        // not the local pseudonyms: those are under each institution's own secret, of local ids
        Pseudonyms local = new Pseudonyms(Pseudonymizer.fromDataDir(dir));
        assertThat(local.of("Patient/123")).isNotEqualTo(a);
        // the identifier itself is nowhere in the pseudonym's input but keyed: another key, another pseudonym
        ConsortiumPseudonyms outsider = new ConsortiumPseudonyms(
                Pseudonymizer.fromSecret("not the consortium key, 32 bytes".getBytes(StandardCharsets.US_ASCII)),
                1,
                NATIONAL);
        assertThat(outsider.ofPatient(patient("123", NATIONAL, "078-05-1120")).orElseThrow())
                .isNotEqualTo(a);
    }

    @Test
    void theKeyVersionSeparatesPseudonymsUnderARotatedKey() {
        Pseudonymizer key = ConsortiumPseudonyms.keyFrom(dir.resolve("k.hex"));
        Bytes32 v1 = new ConsortiumPseudonyms(key, 1, NATIONAL).of(NATIONAL, "078-05-1120");
        Bytes32 v2 = new ConsortiumPseudonyms(key, 2, NATIONAL).of(NATIONAL, "078-05-1120");
        assertThat(v1).isNotEqualTo(v2);
        // HMAC(K, "v1|system|value"), as documented
        assertThat(v1).isEqualTo(Bytes32.of(key.pseudonym("v1|" + NATIONAL + "|078-05-1120")));
    }

    @Test
    void aPatientWithoutTheSharedIdentifierHasNone() {
        ConsortiumPseudonyms c =
                new ConsortiumPseudonyms(ConsortiumPseudonyms.keyFrom(dir.resolve("k.hex")), 1, NATIONAL);
        assertThat(c.ofPatient(patient("1", null, null))).isEmpty();
        assertThat(c.ofPatient(patient("1", "urn:other", "078-05-1120"))).isEmpty();
        assertThatThrownBy(() -> c.of(NATIONAL, " ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aKeyFileReadableByOthersOrNotHexIsRefused() throws Exception {
        Path open = dir.resolve("open.hex");
        Files.writeString(open, HexFormat.of().formatHex(new byte[32]));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> ConsortiumPseudonyms.keyFrom(open)).hasMessageContaining(open.toString());
        Path garbage = dir.resolve("garbage.hex");
        Files.writeString(garbage, "not hex");
        Files.setPosixFilePermissions(garbage, PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> ConsortiumPseudonyms.keyFrom(garbage)).hasMessageContaining("hex secret");
    }
}
