// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessRegistry, ROLE_PATIENT, ROLE_CUSTODIAN} from "./AccessRegistry.sol";

/// A patient's consent that a grantee account may read and/or write resources of chosen types
/// in the patient's compartment until an expiry. Patients are identified by their pseudonym.
/// A patient with a bound account manages their own consents only; a CUSTODIAN may act for a patient
/// whose pseudonym has no account (yet).
contract ConsentRegistry {
    uint8 public constant READ = 1;
    uint8 public constant WRITE = 2;

    struct Consent {
        uint8 actions; // bitmask of READ | WRITE
        uint64 expiry; // unix seconds, exclusive
        uint256 resourceTypes; // bit i = resource type i of the documented table; all bits = every type
    }

    error NotPatientOrCustodian(address caller, bytes32 patient);
    error PatientHasAccount(bytes32 patient, address patientAccount);
    error ZeroAddress();
    error ZeroIdentity();
    error InvalidActions(uint8 actions);
    error InvalidResourceTypes();
    error ExpiryInPast(uint64 expiry, uint256 nowSeconds);
    error NoConsent(bytes32 patient, address grantee);

    event ConsentGranted(
        bytes32 indexed patient, address indexed grantee, uint8 actions, uint256 resourceTypes, uint64 expiry, address by
    );
    event ConsentRevoked(bytes32 indexed patient, address indexed grantee, address by);

    AccessRegistry public immutable registry;
    mapping(bytes32 => mapping(address => Consent)) private consents;

    constructor(AccessRegistry accessRegistry) {
        registry = accessRegistry;
    }

    modifier onlyPatientOrCustodian(bytes32 patient) {
        if (patient == bytes32(0)) revert ZeroIdentity();
        bool isPatient = registry.hasRole(msg.sender, ROLE_PATIENT) && registry.identityOf(msg.sender) == patient;
        if (!isPatient) {
            if (!registry.hasRole(msg.sender, ROLE_CUSTODIAN)) revert NotPatientOrCustodian(msg.sender, patient);
            // a custodian acts only for a patient without an account: one with an account decides alone
            address patientAccount = registry.accountOf(patient);
            if (patientAccount != address(0)) revert PatientHasAccount(patient, patientAccount);
        }
        _;
    }

    /// Grants or replaces the consent of patient for grantee.
    function grant(bytes32 patient, address grantee, uint8 actions, uint256 resourceTypes, uint64 expiry)
        external
        onlyPatientOrCustodian(patient)
    {
        if (grantee == address(0)) revert ZeroAddress();
        if (actions == 0 || actions > (READ | WRITE)) revert InvalidActions(actions);
        if (resourceTypes == 0) revert InvalidResourceTypes();
        if (expiry <= block.timestamp) revert ExpiryInPast(expiry, block.timestamp);
        consents[patient][grantee] = Consent(actions, expiry, resourceTypes);
        emit ConsentGranted(patient, grantee, actions, resourceTypes, expiry, msg.sender);
    }

    function revoke(bytes32 patient, address grantee) external onlyPatientOrCustodian(patient) {
        if (consents[patient][grantee].actions == 0) revert NoConsent(patient, grantee);
        delete consents[patient][grantee];
        emit ConsentRevoked(patient, grantee, msg.sender);
    }

    /// True when grantee may perform every action bit in `action` on resources of type
    /// `resourceType` (bit index) in the patient's compartment at unix time `time`.
    function isPermitted(bytes32 patient, address grantee, uint8 action, uint8 resourceType, uint64 time)
        external
        view
        returns (bool)
    {
        Consent storage c = consents[patient][grantee];
        return action != 0 && c.actions & action == action && time < c.expiry
            && c.resourceTypes & (uint256(1) << resourceType) != 0;
    }

    function consentOf(bytes32 patient, address grantee)
        external
        view
        returns (uint8 actions, uint256 resourceTypes, uint64 expiry)
    {
        Consent storage c = consents[patient][grantee];
        return (c.actions, c.resourceTypes, c.expiry);
    }
}
