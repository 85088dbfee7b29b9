package org.fhirledger.ledger.web3j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.fhirledger.ledger.web3j.ChainFixture.b32;
import static org.fhirledger.ledger.web3j.ChainFixture.ok;

import java.math.BigInteger;
import org.fhirledger.contracts.generated.AccessRegistry;
import org.fhirledger.contracts.generated.ConsentRegistry;
import org.fhirledger.ledger.ResourceTypes;
import org.fhirledger.testing.AnvilExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.abi.datatypes.Address;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

class ConsentRegistryContractTest {
    @RegisterExtension
    static final AnvilExtension anvil = AnvilExtension.automine();

    private static final BigInteger READ = BigInteger.ONE;
    private static final BigInteger WRITE = BigInteger.TWO;
    private static final BigInteger OBSERVATION = BigInteger.valueOf(ResourceTypes.bitOf("Observation"));
    private static final BigInteger PATIENT_TYPE = BigInteger.valueOf(ResourceTypes.bitOf("Patient"));
    private static final BigInteger OBSERVATIONS_ONLY = ResourceTypes.maskOf(java.util.List.of("Observation"));

    // accounts: 0 admin, 1 patient P, 2 clinician, 3 custodian, 4 another patient
    private ChainFixture chain;
    private AccessRegistry registry;
    private String address;
    private ConsentRegistry asPatient;
    private ConsentRegistry asCustodian;
    private ConsentRegistry asClinician;
    private ConsentRegistry asOtherPatient;
    private String clinician;
    private long now;

    @BeforeEach
    void deploy() throws Exception {
        chain = new ChainFixture(anvil);
        registry = AccessRegistry.deploy(
                        chain.web3j, chain.tx(0), ChainFixture.GAS, ChainFixture.NO_DIRECTORY, b32("admin"))
                .send();
        ok(registry.assignRole(chain.account(1).getAddress(), BigInteger.valueOf(3), b32("Patient/P")));
        ok(registry.assignRole(chain.account(2).getAddress(), BigInteger.valueOf(2), b32("Practitioner/C")));
        ok(registry.assignRole(chain.account(3).getAddress(), BigInteger.valueOf(5), b32("Organization/H")));
        ok(registry.assignRole(chain.account(4).getAddress(), BigInteger.valueOf(3), b32("Patient/Q")));
        address = ConsentRegistry.deploy(chain.web3j, chain.tx(0), ChainFixture.GAS, registry.getContractAddress())
                .send()
                .getContractAddress();
        asPatient = ConsentRegistry.load(address, chain.web3j, chain.tx(1), ChainFixture.GAS);
        asClinician = ConsentRegistry.load(address, chain.web3j, chain.tx(2), ChainFixture.GAS);
        asCustodian = ConsentRegistry.load(address, chain.web3j, chain.tx(3), ChainFixture.GAS);
        asOtherPatient = ConsentRegistry.load(address, chain.web3j, chain.tx(4), ChainFixture.GAS);
        clinician = chain.account(2).getAddress();
        now = chain.web3j
                .ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false)
                .send()
                .getBlock()
                .getTimestamp()
                .longValueExact();
    }

    @AfterEach
    void close() {
        chain.close();
    }

    private boolean permitted(String patient, BigInteger action, BigInteger type, long time) throws Exception {
        return asPatient
                .isPermitted(b32(patient), clinician, action, type, BigInteger.valueOf(time))
                .send();
    }

    @Test
    void patientGrantsScopedTimeLimitedConsent() throws Exception {
        long expiry = now + 3600;
        TransactionReceipt r =
                ok(asPatient.grant(b32("Patient/P"), clinician, READ, OBSERVATIONS_ONLY, BigInteger.valueOf(expiry)));
        assertThat(ConsentRegistry.getConsentGrantedEvents(r)).singleElement().satisfies(e -> {
            assertThat(e.patient).isEqualTo(b32("Patient/P"));
            assertThat(e.grantee).isEqualToIgnoringCase(clinician);
            assertThat(e.actions).isEqualTo(READ);
            assertThat(e.resourceTypes).isEqualTo(OBSERVATIONS_ONLY);
            assertThat(e.expiry.longValueExact()).isEqualTo(expiry);
        });
        assertThat(permitted("Patient/P", READ, OBSERVATION, now + 10)).isTrue();
        assertThat(permitted("Patient/P", WRITE, OBSERVATION, now + 10))
                .as("write not granted")
                .isFalse();
        assertThat(permitted("Patient/P", READ.or(WRITE), OBSERVATION, now + 10))
                .isFalse();
        assertThat(permitted("Patient/P", BigInteger.ZERO, OBSERVATION, now + 10))
                .as("no action")
                .isFalse();
        assertThat(permitted("Patient/P", READ, PATIENT_TYPE, now + 10))
                .as("other type")
                .isFalse();
        assertThat(permitted("Patient/P", READ, OBSERVATION, expiry))
                .as("at expiry")
                .isFalse();
        assertThat(permitted("Patient/Q", READ, OBSERVATION, now + 10))
                .as("other patient")
                .isFalse();
        var c = asPatient.consentOf(b32("Patient/P"), clinician).send();
        assertThat(c.component1()).isEqualTo(READ);

        // replacing widens the scope
        ok(asPatient.grant(b32("Patient/P"), clinician, READ.or(WRITE), ResourceTypes.ALL, BigInteger.valueOf(expiry)));
        assertThat(permitted("Patient/P", WRITE, PATIENT_TYPE, now + 10)).isTrue();
    }

    @Test
    void custodianActsForPatientAndRevocationEndsAccess() throws Exception {
        ok(asCustodian.grant(
                b32("Patient/unregistered"), clinician, READ, ResourceTypes.ALL, BigInteger.valueOf(now + 60)));
        assertThat(permitted("Patient/unregistered", READ, OBSERVATION, now + 1))
                .isTrue();
        TransactionReceipt r = ok(asCustodian.revoke(b32("Patient/unregistered"), clinician));
        assertThat(ConsentRegistry.getConsentRevokedEvents(r))
                .singleElement()
                .satisfies(e -> assertThat(e.grantee).isEqualToIgnoringCase(clinician));
        assertThat(permitted("Patient/unregistered", READ, OBSERVATION, now + 1))
                .isFalse();
        chain.assertReverts(3, address, asCustodian.revoke(b32("Patient/unregistered"), clinician), "NoConsent");

        ok(asPatient.grant(b32("Patient/P"), clinician, READ, ResourceTypes.ALL, BigInteger.valueOf(now + 60)));
        ok(asPatient.revoke(b32("Patient/P"), clinician));
        assertThat(permitted("Patient/P", READ, OBSERVATION, now + 1)).isFalse();
    }

    @Test
    void onlyThePatientOrACustodianManagesConsent() throws Exception {
        BigInteger exp = BigInteger.valueOf(now + 60);
        chain.assertReverts(
                2,
                address,
                asClinician.grant(b32("Patient/P"), clinician, READ, ResourceTypes.ALL, exp),
                "NotPatientOrCustodian");
        chain.assertReverts(
                4,
                address,
                asOtherPatient.grant(b32("Patient/P"), clinician, READ, ResourceTypes.ALL, exp),
                "NotPatientOrCustodian");
        chain.assertReverts(
                5,
                address,
                asOtherPatient.grant(b32("Patient/P"), clinician, READ, ResourceTypes.ALL, exp),
                "NotPatientOrCustodian"); // account 5 holds no role at all
        ok(asPatient.grant(b32("Patient/P"), clinician, READ, ResourceTypes.ALL, exp));
        chain.assertReverts(2, address, asClinician.revoke(b32("Patient/P"), clinician), "NotPatientOrCustodian");
        chain.assertReverts(4, address, asOtherPatient.revoke(b32("Patient/P"), clinician), "NotPatientOrCustodian");
    }

    @Test
    void rejectsInvalidArguments() throws Exception {
        BigInteger exp = BigInteger.valueOf(now + 60);
        chain.assertReverts(
                1, address, asPatient.grant(new byte[32], clinician, READ, ResourceTypes.ALL, exp), "ZeroIdentity");
        chain.assertReverts(1, address, asPatient.revoke(new byte[32], clinician), "ZeroIdentity");
        chain.assertReverts(
                1,
                address,
                asPatient.grant(b32("Patient/P"), Address.DEFAULT.toString(), READ, ResourceTypes.ALL, exp),
                "ZeroAddress");
        chain.assertReverts(
                1,
                address,
                asPatient.grant(b32("Patient/P"), clinician, BigInteger.ZERO, ResourceTypes.ALL, exp),
                "InvalidActions");
        chain.assertReverts(
                1,
                address,
                asPatient.grant(b32("Patient/P"), clinician, BigInteger.valueOf(4), ResourceTypes.ALL, exp),
                "InvalidActions");
        chain.assertReverts(
                1,
                address,
                asPatient.grant(b32("Patient/P"), clinician, READ, BigInteger.ZERO, exp),
                "InvalidResourceTypes");
        chain.assertReverts(
                1,
                address,
                asPatient.grant(b32("Patient/P"), clinician, READ, ResourceTypes.ALL, BigInteger.valueOf(now - 1)),
                "ExpiryInPast");
        chain.assertReverts(1, address, asPatient.revoke(b32("Patient/P"), clinician), "NoConsent");
    }

    @Test
    void theFirstCustodianToActBecomesThePatientsHomeCustodianAndNoOtherMayAct() throws Exception {
        BigInteger exp = BigInteger.valueOf(now + 60);
        ok(registry.assignRole(chain.account(6).getAddress(), BigInteger.valueOf(5), b32("Organization/Other")));
        ConsentRegistry asOtherCustodian = ConsentRegistry.load(address, chain.web3j, chain.tx(6), ChainFixture.GAS);
        assertThat(asPatient.homeCustodianOf(b32("Patient/P")).send()).isEqualTo(Address.DEFAULT.toString());

        // the custodian relays the patient's consent (Patient/P has an account: it acts through its custodian)
        TransactionReceipt r = ok(asCustodian.grant(b32("Patient/P"), clinician, READ, ResourceTypes.ALL, exp));
        assertThat(ConsentRegistry.getHomeCustodianSetEvents(r))
                .singleElement()
                .satisfies(e -> assertThat(e.custodian)
                        .isEqualToIgnoringCase(chain.account(3).getAddress()));
        assertThat(asPatient.homeCustodianOf(b32("Patient/P")).send())
                .isEqualToIgnoringCase(chain.account(3).getAddress());
        assertThat(permitted("Patient/P", READ, OBSERVATION, now + 1)).isTrue();

        // another institution's custodian may neither replace nor revoke it
        var replace = asOtherCustodian.grant(b32("Patient/P"), clinician, READ.or(WRITE), ResourceTypes.ALL, exp);
        chain.assertReverts(6, address, replace, "NotHomeCustodian");
        assertThat(chain.sendUnchecked(6, address, replace).isStatusOK()).isFalse();
        var revoke = asOtherCustodian.revoke(b32("Patient/P"), clinician);
        chain.assertReverts(6, address, revoke, "NotHomeCustodian");
        assertThat(chain.sendUnchecked(6, address, revoke).isStatusOK()).isFalse();
        assertThat(permitted("Patient/P", WRITE, OBSERVATION, now + 1))
                .as("the consent stands")
                .isFalse();
        assertThat(permitted("Patient/P", READ, OBSERVATION, now + 1)).isTrue();

        // the patient's own account still decides: it revokes directly
        ok(asPatient.revoke(b32("Patient/P"), clinician));
        assertThat(permitted("Patient/P", READ, OBSERVATION, now + 1)).isFalse();
    }

    @Test
    void onlyThePatientMovesItsHomeCustodianAndMayLockCustodiansOut() throws Exception {
        BigInteger exp = BigInteger.valueOf(now + 60);
        String other = chain.account(6).getAddress();
        ok(registry.assignRole(other, BigInteger.valueOf(5), b32("Organization/Other")));
        ConsentRegistry asOtherCustodian = ConsentRegistry.load(address, chain.web3j, chain.tx(6), ChainFixture.GAS);
        ok(asCustodian.grant(b32("Patient/P"), clinician, READ, ResourceTypes.ALL, exp));

        chain.assertReverts(3, address, asCustodian.setHomeCustodian(b32("Patient/P"), other), "NotPatient");
        chain.assertReverts(4, address, asOtherPatient.setHomeCustodian(b32("Patient/P"), other), "NotPatient");
        chain.assertReverts(1, address, asPatient.setHomeCustodian(b32("Patient/P"), clinician), "NotCustodian");

        ok(asPatient.setHomeCustodian(b32("Patient/P"), other));
        chain.assertReverts(3, address, asCustodian.revoke(b32("Patient/P"), clinician), "NotHomeCustodian");
        ok(asOtherCustodian.revoke(b32("Patient/P"), clinician));

        // "no custodian": neither the old nor the new one, nor a first-comer, may act any more
        ok(asPatient.setHomeCustodian(b32("Patient/P"), Address.DEFAULT.toString()));
        chain.assertReverts(
                6,
                address,
                asOtherCustodian.grant(b32("Patient/P"), clinician, READ, ResourceTypes.ALL, exp),
                "NotHomeCustodian");
        chain.assertReverts(
                3,
                address,
                asCustodian.grant(b32("Patient/P"), clinician, READ, ResourceTypes.ALL, exp),
                "NotHomeCustodian");
        ok(asPatient.grant(b32("Patient/P"), clinician, READ, ResourceTypes.ALL, exp));
        assertThat(permitted("Patient/P", READ, OBSERVATION, now + 1)).isTrue();
    }
}
