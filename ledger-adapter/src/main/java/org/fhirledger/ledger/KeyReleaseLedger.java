package org.fhirledger.ledger;

import java.util.Optional;
import org.fhirledger.bytes.Bytes32;

/**
 * Released data keys (KeyRelease contract, docs/exchange.md "Custodian offline"): each member publishes an encryption
 * public key; a custodian records a patient's data key wrapped to another member's key, keyed by (custodian, member,
 * patient consortium pseudonym, key version). Writes are sent as this adapter's account; refusals come as
 * {@link ContractRevertException} named after the contract's error ({@code NotMember}, {@code NoPublishedKey}, …).
 */
public interface KeyReleaseLedger {

    /** Publishes (or replaces) this account's encryption public key. */
    LedgerReceipt publishKey(byte[] publicKey);

    /** The member's published encryption public key, empty when it published none. */
    Optional<byte[]> publishedKey(String member);

    /** Records a data key of this account's, wrapped to the member's published key. */
    LedgerReceipt release(String member, Bytes32 patient, int keyVersion, byte[] wrappedKey);

    /** The latest wrapped key the custodian released to the member for this patient and key version, if any. */
    Optional<byte[]> released(String custodian, String member, Bytes32 patient, int keyVersion);
}
