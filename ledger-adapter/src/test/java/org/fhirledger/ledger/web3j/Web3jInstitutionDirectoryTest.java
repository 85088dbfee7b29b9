package org.fhirledger.ledger.web3j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fhirledger.ledger.web3j.ChainFixture.pseudonym;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.ContractRevertException;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.MembershipProposal;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The directory port through the web3j adapter: three institutions' servers, each with its own account. */
class Web3jInstitutionDirectoryTest {
    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.automine();

    private ChainFixture chain;
    private ContractAddresses contracts;
    private Web3jLedger ledgerA;
    private Web3jLedger ledgerB;
    private Web3jLedger ledgerC;
    private InstitutionDirectory a;
    private InstitutionDirectory b;
    private InstitutionDirectory c;

    @BeforeEach
    void deploy() throws Exception {
        chain = new ChainFixture(anvil);
        contracts = chain.deployer(0).deployPrivate(pseudonym("Practitioner/admin"));
        String directory = org.fhirledger.contracts.generated.InstitutionDirectory.deploy(
                        chain.web3j,
                        chain.tx(1),
                        ChainFixture.GAS,
                        "urn:oid:1.1",
                        "https://a.example/fhir",
                        jwk("a").getBytes(StandardCharsets.UTF_8))
                .send()
                .getContractAddress();
        ledgerA = Web3jLedger.connect(config(), chain.account(1));
        ledgerB = Web3jLedger.connect(config(), chain.account(2));
        ledgerC = Web3jLedger.connect(config(), chain.account(3));
        a = ledgerA.institutionDirectory(directory);
        b = ledgerB.institutionDirectory(directory);
        c = ledgerC.institutionDirectory(directory);
    }

    @AfterEach
    void close() {
        ledgerA.close();
        ledgerB.close();
        ledgerC.close();
        chain.close();
    }

    private LedgerConfig config() {
        return LedgerConfig.defaults(anvil.rpcUrl(), anvil.chainId(), contracts)
                .withEventPollInterval(Duration.ofMillis(200));
    }

    private static String jwk(String kid) {
        return "{\"kty\":\"EC\",\"kid\":\"" + kid + "\"}";
    }

    private String account(int i) {
        return chain.account(i).getAddress();
    }

    @Test
    void membersAreAdmittedByMajorityAndRemovedMembersCannotAct() {
        assertThat(c.member(account(1))).hasValueSatisfying(m -> {
            assertThat(m.organization()).isEqualTo("urn:oid:1.1");
            assertThat(m.fhirBaseUrl()).isEqualTo("https://a.example/fhir");
            assertThat(m.authKeyJwk()).isEqualTo(jwk("a"));
        });
        a.proposeAdmission(new Institution(account(2), "urn:oid:1.2", "https://b.example/fhir", jwk("b")));
        assertThat(c.isMember(account(2))).isTrue();
        assertThat(c.threshold()).isEqualTo(2);

        long admitC =
                b.proposeAdmission(new Institution(account(3), "urn:oid:1.3", "https://c.example/fhir", jwk("c")));
        assertThat(a.proposal(admitC))
                .hasValue(new MembershipProposal(admitC, MembershipProposal.Kind.ADMIT, account(3), false, 1));
        assertThat(c.isMember(account(3))).isFalse();
        assertThatThrownBy(() -> b.approve(admitC))
                .isInstanceOfSatisfying(
                        ContractRevertException.class,
                        e -> assertThat(e.errorName()).isEqualTo("AlreadyApproved"));
        a.approve(admitC);
        assertThat(a.members())
                .extracting(Institution::custodian)
                .containsExactlyInAnyOrder(account(1), account(2), account(3));

        b.updateSelf("https://b2.example/fhir", jwk("b2"));
        assertThat(a.member(account(2)).orElseThrow().fhirBaseUrl()).isEqualTo("https://b2.example/fhir");
        assertThat(a.member(account(1)).orElseThrow().fhirBaseUrl()).isEqualTo("https://a.example/fhir");

        long removeC = a.proposeRemoval(account(3));
        b.approve(removeC);
        assertThat(a.member(account(3))).isEmpty();
        assertThat(a.proposal(removeC).orElseThrow().executed()).isTrue();
        assertThatThrownBy(() -> c.updateSelf("https://evil/fhir", jwk("evil")))
                .isInstanceOfSatisfying(
                        ContractRevertException.class,
                        e -> assertThat(e.errorName()).isEqualTo("NotMember"));
        assertThatThrownBy(() -> c.proposeRemoval(account(1)))
                .isInstanceOfSatisfying(
                        ContractRevertException.class,
                        e -> assertThat(e.errorName()).isEqualTo("NotMember"));
        assertThat(a.proposal(99)).isEmpty();
    }
}
