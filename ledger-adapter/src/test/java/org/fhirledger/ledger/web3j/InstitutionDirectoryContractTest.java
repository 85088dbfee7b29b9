package org.fhirledger.ledger.web3j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fhirledger.ledger.web3j.ChainFixture.ok;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.fhirledger.contracts.generated.InstitutionDirectory;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.abi.datatypes.Address;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/** The consortium directory: admission and removal by a majority of members, each member edits only itself. */
class InstitutionDirectoryContractTest {
    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.automine();

    private ChainFixture chain;
    private String address;
    private final InstitutionDirectory[] as = new InstitutionDirectory[4];
    private final String[] account = new String[4];

    @BeforeEach
    void deploy() throws Exception {
        chain = new ChainFixture(anvil);
        address = InstitutionDirectory.deploy(
                        chain.web3j, chain.tx(0), ChainFixture.GAS, "urn:oid:1.0", "https://a.example/fhir", key("a"))
                .send()
                .getContractAddress();
        for (int i = 0; i < 4; i++) {
            as[i] = InstitutionDirectory.load(address, chain.web3j, chain.tx(i), ChainFixture.GAS);
            account[i] = chain.account(i).getAddress();
        }
    }

    @AfterEach
    void close() {
        chain.close();
    }

    private static byte[] key(String label) {
        return ("{\"kty\":\"EC\",\"kid\":\"" + label + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private TransactionReceipt admit(int subject, String name) throws Exception {
        return ok(as[0].proposeAdmission(
                account[subject], "urn:oid:1." + subject, "https://" + name + ".example/fhir", key(name)));
    }

    @Test
    void theFounderAloneAdmitsTheSecondMemberAndThenAMajorityIsNeeded() throws Exception {
        assertThat(as[3].isMember(account[0]).send()).isTrue();
        assertThat(as[3].threshold().send()).isEqualTo(1);
        TransactionReceipt r = admit(1, "b");
        assertThat(InstitutionDirectory.getMemberAdmittedEvents(r))
                .singleElement()
                .satisfies(e -> {
                    assertThat(e.custodian).isEqualToIgnoringCase(account[1]);
                    assertThat(e.organization).isEqualTo("urn:oid:1.1");
                    assertThat(e.fhirBaseUrl).isEqualTo("https://b.example/fhir");
                    assertThat(e.authKey).isEqualTo(key("b"));
                });
        var b = as[3].memberOf(account[1]).send();
        assertThat(b.component1()).isTrue();
        assertThat(b.component3()).isEqualTo("https://b.example/fhir");
        assertThat(as[3].threshold().send()).isEqualTo(2);

        r = admit(2, "c"); // one approval of two needed: pending
        assertThat(InstitutionDirectory.getMemberAdmittedEvents(r)).isEmpty();
        assertThat(as[3].isMember(account[2]).send()).isFalse();
        BigInteger id = InstitutionDirectory.getProposedEvents(r).get(0).id;
        chain.assertReverts(0, address, as[0].approve(id), "AlreadyApproved");
        r = ok(as[1].approve(id));
        assertThat(InstitutionDirectory.getMemberAdmittedEvents(r)).hasSize(1);
        assertThat(as[3].isMember(account[2]).send()).isTrue();
        assertThat(as[3].allMembers().send()).hasSize(3);
        chain.assertReverts(1, address, as[1].approve(id), "AlreadyExecuted");
    }

    @Test
    void nonMembersCannotProposeOrApproveAndNobodyIsAdmittedTwice() throws Exception {
        chain.assertReverts(
                3, address, as[3].proposeAdmission(account[3], "urn:oid:9", "https://x/fhir", key("x")), "NotMember");
        admit(1, "b");
        chain.assertReverts(
                0,
                address,
                as[0].proposeAdmission(account[1], "urn:oid:1.1", "https://b/fhir", key("b")),
                "AlreadyMember");
        chain.assertReverts(
                0, address, as[0].proposeAdmission(Address.DEFAULT.toString(), "o", "u", key("k")), "ZeroAddress");
        chain.assertReverts(0, address, as[0].proposeAdmission(account[2], "", "u", key("k")), "EmptyField");
        chain.assertReverts(0, address, as[0].proposeAdmission(account[2], "o", "u", new byte[0]), "EmptyField");
        BigInteger id = InstitutionDirectory.getProposedEvents(admit(2, "c")).get(0).id;
        chain.assertReverts(3, address, as[3].approve(id), "NotMember");
        chain.assertReverts(1, address, as[1].approve(BigInteger.valueOf(99)), "NoSuchProposal");
        // a second proposal for the same institution, executed first, makes the first one fail
        BigInteger again = InstitutionDirectory.getProposedEvents(admit(2, "c")).get(0).id;
        ok(as[1].approve(again));
        chain.assertReverts(1, address, as[1].approve(id), "AlreadyMember");
    }

    @Test
    void aRemovedMemberCanNoLongerActAndItsPendingApprovalsNoLongerCount() throws Exception {
        admit(1, "b");
        ok(as[1].approve(InstitutionDirectory.getProposedEvents(admit(2, "c")).get(0).id));
        // member 2 approves admitting 3, then is removed: its approval must not count
        BigInteger pending = InstitutionDirectory.getProposedEvents(
                        ok(as[2].proposeAdmission(account[3], "urn:oid:1.3", "https://d.example/fhir", key("d"))))
                .get(0)
                .id;
        BigInteger removal = InstitutionDirectory.getProposedEvents(ok(as[0].proposeRemoval(account[2])))
                .get(0)
                .id;
        TransactionReceipt r = ok(as[1].approve(removal));
        assertThat(InstitutionDirectory.getMemberRemovedEvents(r))
                .singleElement()
                .satisfies(e -> assertThat(e.custodian).isEqualToIgnoringCase(account[2]));
        assertThat(as[3].isMember(account[2]).send()).isFalse();
        assertThat(as[3].proposalOf(pending).send().component4()).isZero();
        chain.assertReverts(2, address, as[2].approve(pending), "NotMember");
        chain.assertReverts(2, address, as[2].proposeRemoval(account[0]), "NotMember");
        chain.assertReverts(2, address, as[2].updateSelf("https://evil/fhir", key("evil")), "NotMember");
        // with two members left, one approval is not a majority
        r = ok(as[0].approve(pending));
        assertThat(InstitutionDirectory.getMemberAdmittedEvents(r)).isEmpty();
        assertThat(as[3].isMember(account[3]).send()).isFalse();
        chain.assertReverts(0, address, as[0].proposeRemoval(account[2]), "NotMember");
    }

    @Test
    void aMemberUpdatesOnlyItsOwnEntryAndTheLastMemberStays() throws Exception {
        chain.assertReverts(0, address, as[0].proposeRemoval(account[0]), "LastMember");
        admit(1, "b");
        TransactionReceipt r = ok(as[1].updateSelf("https://b2.example/fhir", key("b2")));
        assertThat(InstitutionDirectory.getMemberUpdatedEvents(r))
                .singleElement()
                .satisfies(e -> assertThat(e.custodian).isEqualToIgnoringCase(account[1]));
        assertThat(as[3].memberOf(account[1]).send().component4()).isEqualTo(key("b2"));
        assertThat(as[3].memberOf(account[0]).send().component3()).isEqualTo("https://a.example/fhir");
        chain.assertReverts(1, address, as[1].updateSelf("", key("b3")), "EmptyField");
    }
}
