// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessRegistry, ROLE_PATIENT, ROLE_CUSTODIAN} from "./AccessRegistry.sol";

/// A patient's consent that a grantee account may read and/or write resources of chosen types
/// in the patient's compartment until an expiry. Patients are identified by their pseudonym.
/// The patient's own account may always act. A CUSTODIAN (an institution's server, relaying what the patient
/// asked for through FHIR) may act for the patients it is the home custodian of: the first custodian to act for a
/// patient becomes its home custodian; the patient's account can move that to another custodian or to none.
contract ConsentRegistry {
    uint8 public constant READ = 1;
    uint8 public constant WRITE = 2;

    struct Consent {
        uint8 actions; // bitmask of READ | WRITE
        uint64 expiry; // unix seconds, exclusive
        uint256 resourceTypes; // bit i = resource type i of the documented table; all bits = every type
    }

    error NotPatientOrCustodian(address caller, bytes32 patient);
    error NotHomeCustodian(bytes32 patient, address homeCustodian);
    error NotPatient(address caller, bytes32 patient);
    error NotCustodian(address account);
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
    event HomeCustodianSet(bytes32 indexed patient, address indexed custodian, address by);

    AccessRegistry public immutable registry;
    mapping(bytes32 => mapping(address => Consent)) private consents;
    mapping(bytes32 => address) public homeCustodianOf;
    // a patient who moved their home custodian to none: no custodian may claim them again
    mapping(bytes32 => bool) private custodiansLockedOut;

    constructor(AccessRegistry accessRegistry) {
        registry = accessRegistry;
    }

    modifier onlyPatientOrCustodian(bytes32 patient) {
        if (patient == bytes32(0)) revert ZeroIdentity();
        if (!_isPatient(msg.sender, patient)) {
            if (!registry.hasRole(msg.sender, ROLE_CUSTODIAN)) revert NotPatientOrCustodian(msg.sender, patient);
            address home = homeCustodianOf[patient];
            if (home == address(0)) {
                if (custodiansLockedOut[patient]) revert NotHomeCustodian(patient, address(0));
                homeCustodianOf[patient] = msg.sender;
                emit HomeCustodianSet(patient, msg.sender, msg.sender);
            } else if (home != msg.sender) {
                revert NotHomeCustodian(patient, home);
            }
        }
        _;
    }

    /// The patient's own account moves its home custodian (or, with address 0, lets no custodian act for it).
    function setHomeCustodian(bytes32 patient, address custodian) external {
        if (patient == bytes32(0)) revert ZeroIdentity();
        if (!_isPatient(msg.sender, patient)) revert NotPatient(msg.sender, patient);
        if (custodian != address(0) && !registry.hasRole(custodian, ROLE_CUSTODIAN)) revert NotCustodian(custodian);
        homeCustodianOf[patient] = custodian;
        custodiansLockedOut[patient] = custodian == address(0);
        emit HomeCustodianSet(patient, custodian, msg.sender);
    }

    function _isPatient(address account, bytes32 patient) private view returns (bool) {
        return registry.hasRole(account, ROLE_PATIENT) && registry.identityOf(account) == patient;
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
