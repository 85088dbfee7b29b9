package org.fhirledger.ledger.web3j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fhirledger.ledger.web3j.ChainFixture.ok;
import static org.fhirledger.ledger.web3j.ChainFixture.pseudonym;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.contracts.generated.InstitutionDirectory;
import org.fhirledger.contracts.generated.KeyRelease;
import org.fhirledger.crypto.DecryptionException;
import org.fhirledger.crypto.MemberEncryptionKey;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.ContractRevertException;
import org.fhirledger.ledger.KeyReleaseLedger;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * KeyRelease on anvil: only active directory members publish keys and release data keys, a release needs the
 * member's published key, and a release is found again through the adapter; HPKE sealing binds a wrapped key to its
 * member and context.
 */
class KeyReleaseContractTest {
    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.automine();

    private ChainFixture chain;
    private String address;
    private final KeyRelease[] as = new KeyRelease[4];
    private final String[] account = new String[4];
    private InstitutionDirectory directory;

    @BeforeEach
    void deploy() throws Exception {
        chain = new ChainFixture(anvil);
        directory = InstitutionDirectory.deploy(
                        chain.web3j,
                        chain.tx(0),
                        ChainFixture.GAS,
                        "urn:oid:1.0",
                        "https://a.example/fhir",
                        "{}".getBytes(StandardCharsets.UTF_8))
                .send();
        for (int i = 0; i < 4; i++) account[i] = chain.account(i).getAddress();
        ok(directory.proposeAdmission(account[1], "urn:oid:1.1", "https://b.example/fhir", "{}".getBytes()));
        address = KeyRelease.deploy(chain.web3j, chain.tx(0), ChainFixture.GAS, directory.getContractAddress())
                .send()
                .getContractAddress();
        for (int i = 0; i < 4; i++) as[i] = KeyRelease.load(address, chain.web3j, chain.tx(i), ChainFixture.GAS);
    }

    @AfterEach
    void close() {
        chain.close();
    }

    @Test
    void onlyActiveMembersPublishAndReleaseAndOnlyToAMemberWithAKey() throws Exception {
        byte[] patient = ChainFixture.b32("Patient/1");
        // a non-member (account 2) can neither publish nor release
        chain.assertReverts(2, address, as[2].publishKey(new byte[] {1}), "NotMember");
        chain.assertReverts(
                2, address, as[2].release(account[1], patient, BigInteger.ONE, new byte[] {1}), "NotMember");
        // a member cannot release to a member that published no key, nor to a non-member, nor to itself
        chain.assertReverts(
                0, address, as[0].release(account[1], patient, BigInteger.ONE, new byte[] {1}), "NoPublishedKey");
        chain.assertReverts(
                0, address, as[0].release(account[2], patient, BigInteger.ONE, new byte[] {1}), "NotMember");
        chain.assertReverts(
                0, address, as[0].release(account[0], patient, BigInteger.ONE, new byte[] {1}), "SelfRelease");
        chain.assertReverts(1, address, as[1].publishKey(new byte[0]), "EmptyField");
        ok(as[1].publishKey(new byte[] {7, 7}));
        assertThat(as[3].keyOf(account[1]).send()).containsExactly(7, 7);
        chain.assertReverts(
                0, address, as[0].release(account[1], new byte[32], BigInteger.ONE, new byte[] {1}), "ZeroIdentity");
        chain.assertReverts(
                0, address, as[0].release(account[1], patient, BigInteger.ZERO, new byte[] {1}), "ZeroKeyVersion");
        chain.assertReverts(0, address, as[0].release(account[1], patient, BigInteger.ONE, new byte[0]), "EmptyField");
        var r = ok(as[0].release(account[1], patient, BigInteger.ONE, new byte[] {9}));
        assertThat(KeyRelease.getKeyReleasedEvents(r)).singleElement().satisfies(e -> {
            assertThat(e.custodian).isEqualToIgnoringCase(account[0]);
            assertThat(e.member).isEqualToIgnoringCase(account[1]);
            assertThat(e.patient).isEqualTo(patient);
            assertThat(e.wrappedKey).containsExactly(9);
        });
        assertThat(as[3].releaseBlock(account[0], account[1], patient, BigInteger.ONE)
                        .send())
                .isEqualTo(r.getBlockNumber());
        // a member removed by the directory can no longer release or publish (mined: it really fails)
        var id = InstitutionDirectory.getProposedEvents(ok(directory.proposeRemoval(account[1])))
                .get(0)
                .id;
        ok(InstitutionDirectory.load(directory.getContractAddress(), chain.web3j, chain.tx(1), ChainFixture.GAS)
                .approve(id));
        assertThat(directory.isMember(account[1]).send()).isFalse();
        chain.assertReverts(1, address, as[1].publishKey(new byte[] {8}), "NotMember");
        chain.assertReverts(
                0, address, as[0].release(account[1], patient, BigInteger.ONE, new byte[] {1}), "NotMember");
    }

    @Test
    void theAdapterPublishesReleasesAndFindsTheLatestRelease() throws Exception {
        ContractAddresses contracts = chain.deployer(0).deployPrivate(pseudonym("Practitioner/admin"));
        LedgerConfig config = LedgerConfig.defaults(anvil.rpcUrl(), anvil.chainId(), contracts)
                .withEventPollInterval(Duration.ofMillis(200));
        try (Web3jLedger a = Web3jLedger.connect(config, chain.account(0));
                Web3jLedger b = Web3jLedger.connect(config, chain.account(1));
                Web3jLedger c = Web3jLedger.connect(config, chain.account(2))) {
            KeyReleaseLedger atA = a.keyRelease(address);
            KeyReleaseLedger atB = b.keyRelease(address);
            MemberEncryptionKey bKey = MemberEncryptionKey.generate();
            Bytes32 patient = pseudonym("Patient/7");
            assertThat(atA.publishedKey(account[1])).isEmpty();
            assertThatThrownBy(() -> atA.release(account[1], patient, 1, new byte[] {1}))
                    .isInstanceOfSatisfying(
                            ContractRevertException.class,
                            e -> assertThat(e.errorName()).isEqualTo("NoPublishedKey"));
            atB.publishKey(bKey.publicKeyset());
            assertThat(atA.publishedKey(account[1]))
                    .hasValueSatisfying(k -> assertThat(k).isEqualTo(bKey.publicKeyset()));
            byte[] context = "ctx".getBytes(StandardCharsets.UTF_8);
            atA.release(account[1], patient, 1, MemberEncryptionKey.seal(bKey.publicKeyset(), new byte[] {1}, context));
            atA.release(account[1], patient, 1, MemberEncryptionKey.seal(bKey.publicKeyset(), new byte[] {2}, context));
            byte[] latest = atB.released(account[0], account[1], patient, 1).orElseThrow();
            assertThat(bKey.open(latest, context)).containsExactly(2);
            assertThat(atB.released(account[0], account[1], patient, 2)).isEmpty();
            assertThat(atB.released(account[0], account[1], pseudonym("Patient/8"), 1))
                    .isEmpty();
            assertThat(atB.released(account[1], account[0], patient, 1)).isEmpty();
            // a non-member's adapter is refused by the chain
            assertThatThrownBy(() -> c.keyRelease(address).publishKey(new byte[] {1}))
                    .isInstanceOfSatisfying(
                            ContractRevertException.class,
                            e -> assertThat(e.errorName()).isEqualTo("NotMember"));
        }
    }

    @Test
    void aWrappedKeyOpensOnlyForItsMemberAndItsContext() {
        MemberEncryptionKey b = MemberEncryptionKey.generate();
        MemberEncryptionKey other = MemberEncryptionKey.generate();
        byte[] context = "custodian|member|patient|1".getBytes(StandardCharsets.UTF_8);
        byte[] sealed = MemberEncryptionKey.seal(other.publicKeyset(), new byte[] {42}, context);
        assertThat(other.open(sealed, context)).containsExactly(42);
        assertThatThrownBy(() -> b.open(sealed, context)).isInstanceOf(DecryptionException.class);
        assertThatThrownBy(() -> other.open(sealed, "custodian|member|patient2|1".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(DecryptionException.class);
        sealed[sealed.length - 1] ^= 1;
        assertThatThrownBy(() -> other.open(sealed, context)).isInstanceOf(DecryptionException.class);
    }
}
