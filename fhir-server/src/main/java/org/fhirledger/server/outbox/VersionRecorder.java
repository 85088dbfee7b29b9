package org.fhirledger.server.outbox;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.rest.server.exceptions.MethodNotAllowedException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.fhirledger.server.record.PatientLinks;
import org.hl7.fhir.instance.model.api.IBaseCoding;
import org.hl7.fhir.instance.model.api.IBaseMetaType;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.fhirledger.crypto.EnvelopeCipher;
import org.fhirledger.crypto.ResourceVersion;
import org.fhirledger.ledger.AccessEntry;
import org.fhirledger.ledger.Bytes32;
import org.fhirledger.record.CanonicalResource;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.AuditEvent;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Runs inside HAPI's database transaction (pre-commit storage hooks): for each stored version, the content hash of
 * its JSON, its patient compartment and an outbox row, which therefore commits or rolls back with the version.
 * Record versions are encrypted here (data key of the patient, associated data = the resource version), so the
 * outbox never holds PHI in clear and the ciphertext (hence its CID) is fixed once committed: a writer that crashed
 * puts the same bytes again and gets the same CID. AuditEvents get an access entry instead.
 */
public class VersionRecorder {

	private final FhirContext ctx;
	private final Pseudonyms pseudonyms;
	private final PatientLinks compartment;
	private final EnvelopeCipher cipher;
	private final AuditAccessMapping auditMapping;
	private final OutboxStore store;
	private final Runnable wakeWriter;

	public VersionRecorder(FhirContext ctx, Pseudonyms pseudonyms, EnvelopeCipher cipher,
			AuditAccessMapping auditMapping, OutboxStore store, Runnable wakeWriter) {
		this.ctx = ctx;
		this.pseudonyms = pseudonyms;
		this.compartment = new PatientLinks(ctx);
		this.cipher = cipher;
		this.auditMapping = auditMapping;
		this.store = store;
		this.wakeWriter = wakeWriter;
	}

	/** The JSON whose hash is recorded for a stored (not deleted) version: HAPI's JSON encoding. */
	public byte[] json(IBaseResource resource) {
		IParser parser = ctx.newJsonParser();
		return parser.encodeResourceToString(resource).getBytes(StandardCharsets.UTF_8);
	}

	public void stored(IBaseResource resource) {
		IIdType id = resource.getIdElement();
		String type = ctx.getResourceType(resource);
		long version = versionOf(id);
		byte[] json = json(resource);
		Bytes32 hash = CanonicalResource.contentHash(json);
		Optional<OutboxStore.VersionState> existing = store.versionState(type, id.getIdPart(), version);
		if (existing.isPresent()) {
			// HAPI fires the update hook without a new version for $meta-add / $meta-delete: the recorded version
			// would change in place. An unchanged body (a no-op) is fine.
			if (existing.get().contentHash().equals(hash)) return;
			throw new MethodNotAllowedException("A stored version cannot be changed in place (e.g. $meta-add or"
					+ " $meta-delete): every version is recorded on the ledger. Update the resource instead.");
		}
		Bytes32 resourcePn = pseudonyms.of(type, id.getIdPart());
		if (resource instanceof AuditEvent event) {
			AccessEntry access = auditMapping.map(event, hash);
			store.insert(OutboxRow.Kind.ACCESS, type, id.getIdPart(), version, access.resource(), access.patient(),
					hash, null, access);
		} else {
			Bytes32 patient = compartment.ledgerOwnerOf(resource).map(pseudonyms::of).orElse(Bytes32.ZERO);
			record(type, id.getIdPart(), version, resourcePn, patient, hash, json);
		}
		afterCommitWake();
	}

	/** A delete version: the tombstone; its patient is that of the last stored version. */
	public void deleted(IBaseResource lastStored, long deleteVersion) {
		String type = ctx.getResourceType(lastStored);
		String id = lastStored.getIdElement().getIdPart();
		byte[] json = Tombstone.json(type, id);
		Bytes32 patient = "AuditEvent".equals(type) ? Bytes32.ZERO
				: compartment.ledgerOwnerOf(lastStored).map(pseudonyms::of).orElse(Bytes32.ZERO);
		record(type, id, deleteVersion, pseudonyms.of(type, id), patient, CanonicalResource.contentHash(json), json);
		afterCommitWake();
	}

	private void record(String type, String id, long version, Bytes32 resourcePn, Bytes32 patient, Bytes32 hash,
			byte[] json) {
		byte[] envelope = cipher.encrypt(keyIdOf(patient), new ResourceVersion(type, id, Long.toString(version)), json);
		store.insert(OutboxRow.Kind.RECORD, type, id, version, resourcePn, patient, hash, envelope, null);
	}

	/**
	 * Before storage: tags of the ledger-status system are the server's, added when serving, so never stored (a
	 * client may echo them); tags, security labels and profiles are put in one order ({@link #sortMeta}).
	 */
	public static void prepareForUpdate(IBaseResource previous, IBaseResource resource) {
		// HAPI carries the previous version's tags and security labels into the new version without putting them
		// on the resource it hands to the pre-commit hook: add them here, so what is hashed is what is stored.
		if (previous != null) {
			for (IBaseCoding t : previous.getMeta().getTag()) {
				if (resource.getMeta().getTag(t.getSystem(), t.getCode()) == null) {
					resource.getMeta().addTag().setSystem(t.getSystem()).setCode(t.getCode()).setDisplay(t.getDisplay())
							.setVersion(t.getVersion());
				}
			}
			for (IBaseCoding t : previous.getMeta().getSecurity()) {
				if (resource.getMeta().getSecurity(t.getSystem(), t.getCode()) == null) {
					resource.getMeta().addSecurity().setSystem(t.getSystem()).setCode(t.getCode())
							.setDisplay(t.getDisplay()).setVersion(t.getVersion());
				}
			}
		}
		prepareForStorage(resource);
	}

	public static void prepareForStorage(IBaseResource resource) {
		resource.getMeta().getTag().removeIf(t -> CanonicalResource.LEDGER_TAG_SYSTEM.equals(t.getSystem()));
		resource.getMeta().getSecurity().removeIf(t -> CanonicalResource.LEDGER_TAG_SYSTEM.equals(t.getSystem()));
		sortMeta(resource);
	}

	/**
	 * HAPI keeps tags, security labels and profiles in tables of their own and gives them back in an order of its
	 * choosing, but the content hash keeps array order: stored and served versions therefore carry them sorted by
	 * system, code (profiles: by value), so the JSON hashed at write is the JSON served.
	 */
	public static void sortMeta(IBaseResource resource) {
		IBaseMetaType meta = resource.getMeta();
		Comparator<IBaseCoding> byCoding = Comparator.comparing((IBaseCoding c) -> nz(c.getSystem()))
				.thenComparing(c -> nz(c.getCode())).thenComparing(c -> nz(c.getVersion()))
				.thenComparing(c -> nz(c.getDisplay()));
		sortInPlace(meta.getTag(), byCoding);
		sortInPlace(meta.getSecurity(), byCoding);
		sortInPlace(meta.getProfile(), Comparator.comparing((IPrimitiveType<String> p) -> nz(p.getValue())));
	}

	@SuppressWarnings({"unchecked", "rawtypes"})
	private static <T> void sortInPlace(List<? extends T> list, Comparator<? super T> order) {
		if (list.size() < 2) return;
		List copy = new ArrayList<>(list);
		copy.sort(order);
		for (int i = 0; i < copy.size(); i++) ((List) list).set(i, copy.get(i));
	}

	private static String nz(String s) {
		return s == null ? "" : s;
	}

	/** The data key id of a patient pseudonym (its hex without 0x), or the server key outside compartments. */
	public static String keyIdOf(Bytes32 patient) {
		return patient.isZero() ? EnvelopeCipher.SERVER_KEY_ID : patient.toHex().substring(2);
	}

	static long versionOf(IIdType id) {
		if (!id.hasVersionIdPart() || !id.isVersionIdPartValidLong()) {
			throw new IllegalStateException("stored version without a numeric version id");
		}
		return id.getVersionIdPartAsLong();
	}

	private void afterCommitWake() {
		if (TransactionSynchronizationManager.isSynchronizationActive()) {
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
				@Override
				public void afterCommit() {
					wakeWriter.run();
				}
			});
		} else {
			wakeWriter.run();
		}
	}
}
