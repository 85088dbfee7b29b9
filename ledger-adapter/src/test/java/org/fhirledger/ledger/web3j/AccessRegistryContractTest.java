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
        asAdmin = AccessRegistry.deploy(chain.web3j, chain.tx(0), ChainFixture.GAS, b32("Practitioner/admin"))
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
}
