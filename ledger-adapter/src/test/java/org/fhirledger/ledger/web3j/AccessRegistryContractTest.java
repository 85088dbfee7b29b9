package org.fhirledger.ledger.web3j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fhirledger.ledger.web3j.ChainFixture.b32;
import static org.fhirledger.ledger.web3j.ChainFixture.ok;

import java.math.BigInteger;
import org.fhirledger.contracts.generated.AccessRegistry;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.abi.datatypes.Address;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

class AccessRegistryContractTest {
    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.automine();

    private static final BigInteger ADMIN = BigInteger.valueOf(1);
    private static final BigInteger CLINICIAN = BigInteger.valueOf(2);
    private static final BigInteger AUDITOR = BigInteger.valueOf(4);

    private ChainFixture chain;
    private AccessRegistry asAdmin;
    private AccessRegistry asOther;
    private String address;
    private String alice;
    private String bob;

    @BeforeEach
    void deploy() throws Exception {
        chain = new ChainFixture(anvil);
        asAdmin = AccessRegistry.deploy(
                        chain.web3j,
                        chain.tx(0),
                        ChainFixture.GAS,
                        ChainFixture.NO_DIRECTORY,
                        b32("Practitioner/admin"))
                .send();
        address = asAdmin.getContractAddress();
        asOther = AccessRegistry.load(address, chain.web3j, chain.tx(1), ChainFixture.GAS);
        alice = chain.account(1).getAddress();
        bob = chain.account(2).getAddress();
    }

    @AfterEach
    void close() {
        chain.close();
    }

    @Test
    void deployerIsTheFirstAdminBoundToItsIdentity() throws Exception {
        String deployer = chain.account(0).getAddress();
        assertThat(asAdmin.hasRole(deployer, ADMIN).send()).isTrue();
        assertThat(asAdmin.adminCount().send()).isEqualTo(1);
        assertThat(asAdmin.identityOf(deployer).send()).isEqualTo(b32("Practitioner/admin"));
        assertThat(asAdmin.accountOf(b32("Practitioner/admin")).send()).isEqualToIgnoringCase(deployer);
    }

    @Test
    void adminAssignsAndRevokesRolesWithEvents() throws Exception {
        TransactionReceipt r = ok(asAdmin.assignRole(alice, CLINICIAN, b32("Practitioner/1")));
        var granted = AccessRegistry.getRoleGrantedEvents(r);
        assertThat(granted).hasSize(1);
        assertThat(granted.get(0).account).isEqualToIgnoringCase(alice);
        assertThat(granted.get(0).role).isEqualTo(CLINICIAN);
        assertThat(granted.get(0).identity).isEqualTo(b32("Practitioner/1"));
        assertThat(asAdmin.hasRole(alice, CLINICIAN).send()).isTrue();
        assertThat(asAdmin.hasRole(alice, AUDITOR).send()).isFalse();
        assertThat(asAdmin.accountOf(b32("Practitioner/1")).send()).isEqualToIgnoringCase(alice);

        ok(asAdmin.assignRole(alice, AUDITOR, b32("Practitioner/1"))); // second role, same identity
        ok(asAdmin.revokeRole(alice, CLINICIAN));
        assertThat(asAdmin.hasRole(alice, CLINICIAN).send()).isFalse();
        assertThat(asAdmin.identityOf(alice).send()).isEqualTo(b32("Practitioner/1")); // still an auditor

        TransactionReceipt rr = ok(asAdmin.revokeRole(alice, AUDITOR));
        assertThat(AccessRegistry.getRoleRevokedEvents(rr))
                .singleElement()
                .satisfies(e -> assertThat(e.role).isEqualTo(AUDITOR));
        assertThat(asAdmin.identityOf(alice).send()).isEqualTo(new byte[32]); // no roles: unbound
        assertThat(asAdmin.accountOf(b32("Practitioner/1")).send()).isEqualTo(Address.DEFAULT.toString());
        assertThat(asAdmin.rolesOf(alice).send()).isZero();
    }

    @Test
    void onlyAdminsAssignOrRevoke() throws Exception {
        chain.assertReverts(1, address, asOther.assignRole(bob, CLINICIAN, b32("Practitioner/2")), "NotAdmin");
        ok(asAdmin.assignRole(alice, CLINICIAN, b32("Practitioner/1")));
        chain.assertReverts(1, address, asOther.revokeRole(alice, CLINICIAN), "NotAdmin");
        // and a sent transaction really reverts, leaving the state as it was
        TransactionReceipt r = chain.sendUnchecked(2, address, asOther.assignRole(bob, ADMIN, b32("Practitioner/2")));
        assertThat(r.isStatusOK()).isFalse();
        assertThat(asAdmin.hasRole(bob, ADMIN).send()).isFalse();
    }

    @Test
    void rejectsInvalidArguments() throws Exception {
        chain.assertReverts(0, address, asAdmin.assignRole(alice, BigInteger.ZERO, b32("x")), "InvalidRole");
        chain.assertReverts(0, address, asAdmin.assignRole(alice, BigInteger.valueOf(6), b32("x")), "InvalidRole");
        chain.assertReverts(0, address, asAdmin.revokeRole(alice, BigInteger.valueOf(6)), "InvalidRole");
        chain.assertReverts(
                0, address, asAdmin.assignRole(Address.DEFAULT.toString(), CLINICIAN, b32("x")), "ZeroAddress");
        chain.assertReverts(0, address, asAdmin.assignRole(alice, CLINICIAN, new byte[32]), "ZeroIdentity");
        chain.assertReverts(0, address, asAdmin.revokeRole(alice, CLINICIAN), "RoleNotHeld");
        ok(asAdmin.assignRole(alice, CLINICIAN, b32("Practitioner/1")));
        chain.assertReverts(0, address, asAdmin.assignRole(alice, CLINICIAN, b32("Practitioner/1")), "RoleAlreadyHeld");
        chain.assertReverts(0, address, asAdmin.assignRole(alice, AUDITOR, b32("Practitioner/9")), "IdentityMismatch");
        chain.assertReverts(0, address, asAdmin.assignRole(bob, CLINICIAN, b32("Practitioner/1")), "IdentityTaken");
    }

    @Test
    void theLastAdminCannotBeRemoved() throws Exception {
        String deployer = chain.account(0).getAddress();
        chain.assertReverts(0, address, asAdmin.revokeRole(deployer, ADMIN), "LastAdmin");
        ok(asAdmin.assignRole(alice, ADMIN, b32("Practitioner/1")));
        assertThat(asAdmin.adminCount().send()).isEqualTo(2);
        ok(asOther.revokeRole(deployer, ADMIN)); // the new admin removes the first
        assertThat(asAdmin.adminCount().send()).isEqualTo(1);
        chain.assertReverts(1, address, asOther.revokeRole(alice, ADMIN), "LastAdmin");
        chain.assertReverts(0, address, asAdmin.assignRole(bob, ADMIN, b32("Practitioner/2")), "NotAdmin");
    }

    /**
     * With the consortium's directory: A (account 1) and B (account 2) are members; each institution's custodian
     * enrols its own staff, its first ADMIN included, and an ADMIN touches only accounts of its own institution.
     */
    @Test
    void rolesAreScopedToTheInstitutionAnAccountWasEnrolledUnder() throws Exception {
        var directory = org.fhirledger.contracts.generated.InstitutionDirectory.deploy(
                        chain.web3j, chain.tx(1), ChainFixture.GAS, "urn:oid:1", "https://a.example/fhir", new byte[] {1
                        })
                .send();
        ok(directory.proposeAdmission(
                chain.account(2).getAddress(), "urn:oid:2", "https://b.example/fhir", new byte[] {2
                })); // the founder alone: a majority of one
        AccessRegistry asA = AccessRegistry.deploy(
                        chain.web3j, chain.tx(1), ChainFixture.GAS, directory.getContractAddress(), b32("Org/a"))
                .send();
        String registry = asA.getContractAddress();
        AccessRegistry asB = AccessRegistry.load(registry, chain.web3j, chain.tx(2), ChainFixture.GAS);
        AccessRegistry asAdminA = AccessRegistry.load(registry, chain.web3j, chain.tx(3), ChainFixture.GAS);
        AccessRegistry asAdminB = AccessRegistry.load(registry, chain.web3j, chain.tx(4), ChainFixture.GAS);
        String a = chain.account(1).getAddress();
        String b = chain.account(2).getAddress();
        String adminA = chain.account(3).getAddress();
        String adminB = chain.account(4).getAddress();
        String staffB = chain.account(5).getAddress();
        String staffA = chain.account(6).getAddress();

        // B's custodian enrols itself and its first ADMIN, without holding ADMIN itself
        ok(asB.assignRole(b, BigInteger.valueOf(5), b32("Org/b")));
        ok(asB.assignRole(adminB, ADMIN, b32("Practitioner/b-admin")));
        ok(asA.assignRole(adminA, ADMIN, b32("Practitioner/a-admin")));
        ok(asAdminB.assignRole(staffB, CLINICIAN, b32("Practitioner/b-1")));
        ok(asAdminA.assignRole(staffA, CLINICIAN, b32("Practitioner/a-1")));
        assertThat(asA.institutionOf(b).send()).isEqualToIgnoringCase(b);
        assertThat(asA.institutionOf(adminB).send()).isEqualToIgnoringCase(b);
        assertThat(asA.institutionOf(staffB).send()).isEqualToIgnoringCase(b);
        assertThat(asA.institutionOf(staffA).send()).isEqualToIgnoringCase(a);

        // A's admin (and A's custodian) cannot touch B's staff, nor B's custodian account
        chain.assertReverts(3, registry, asAdminA.revokeRole(staffB, CLINICIAN), "OtherInstitution");
        chain.assertReverts(
                3, registry, asAdminA.assignRole(staffB, AUDITOR, b32("Practitioner/b-1")), "OtherInstitution");
        chain.assertReverts(1, registry, asA.revokeRole(staffB, CLINICIAN), "OtherInstitution");
        chain.assertReverts(3, registry, asAdminA.assignRole(b, ADMIN, b32("Org/b")), "OtherInstitution");
        chain.assertReverts(3, registry, asAdminA.revokeRole(adminB, ADMIN), "OtherInstitution");
        // a sent transaction really reverts, leaving B's clinician as it was
        assertThat(chain.sendUnchecked(3, registry, asAdminA.revokeRole(staffB, CLINICIAN))
                        .isStatusOK())
                .isFalse();
        assertThat(asA.hasRole(staffB, CLINICIAN).send()).isTrue();
        // B's admin can
        ok(asAdminB.assignRole(staffB, AUDITOR, b32("Practitioner/b-1")));
        ok(asAdminB.revokeRole(staffB, CLINICIAN));
        ok(asAdminB.revokeRole(staffB, AUDITOR));
        assertThat(asA.rolesOf(staffB).send()).isZero();
        assertThat(asA.institutionOf(staffB).send()).isEqualTo(Address.DEFAULT.toString()); // no role: no institution

        // a non-member custodian cannot enrol staff (nor can anyone without ADMIN)
        AccessRegistry asOutsider = AccessRegistry.load(registry, chain.web3j, chain.tx(7), ChainFixture.GAS);
        chain.assertReverts(7, registry, asOutsider.assignRole(staffB, CLINICIAN, b32("Practitioner/x")), "NotAdmin");

        // once B is removed from the consortium (A and B approve), B's admin acts no longer
        var removal = directory.proposeRemoval(b).send();
        var id = org.fhirledger.contracts.generated.InstitutionDirectory.getProposedEvents(removal)
                .get(0)
                .id;
        ok(org.fhirledger.contracts.generated.InstitutionDirectory.load(
                        directory.getContractAddress(), chain.web3j, chain.tx(2), ChainFixture.GAS)
                .approve(id));
        chain.assertReverts(4, registry, asAdminB.assignRole(staffB, CLINICIAN, b32("Practitioner/b-1")), "NotMember");
        chain.assertReverts(2, registry, asB.assignRole(staffB, CLINICIAN, b32("Practitioner/b-1")), "NotAdmin");
    }
}
