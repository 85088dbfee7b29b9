// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

// Role numbers, shared with the contracts that check roles.
uint8 constant ROLE_ADMIN = 1;
uint8 constant ROLE_CLINICIAN = 2;
uint8 constant ROLE_PATIENT = 3;
uint8 constant ROLE_AUDITOR = 4;
uint8 constant ROLE_CUSTODIAN = 5;

import {InstitutionDirectory} from "./InstitutionDirectory.sol";

/// Roles of ledger accounts, each account bound to one pseudonymous identity
/// (a keyed hash of e.g. "Practitioner/123"; the identifier itself never goes on chain).
///
/// Every role holder belongs to one institution: the custodian account of a consortium member (InstitutionDirectory).
/// A member's custodian account belongs to itself and may enrol its own staff (its first ADMIN included); an ADMIN
/// assigns and revokes roles only for accounts of its own institution, and only while that institution is a member.
/// An account's institution is set by its first role and cleared with its last. Deployed without a directory
/// (address 0), the registry serves one institution: the deployer's, every account belongs to it.
contract AccessRegistry {
    uint8 public constant ADMIN = ROLE_ADMIN;
    uint8 public constant CLINICIAN = ROLE_CLINICIAN;
    uint8 public constant PATIENT = ROLE_PATIENT;
    uint8 public constant AUDITOR = ROLE_AUDITOR;
    uint8 public constant CUSTODIAN = ROLE_CUSTODIAN;

    error NotAdmin(address caller);
    error InvalidRole(uint8 role);
    error ZeroAddress();
    error ZeroIdentity();
    error RoleAlreadyHeld(address account, uint8 role);
    error RoleNotHeld(address account, uint8 role);
    error LastAdmin(address account);
    error IdentityMismatch(address account, bytes32 boundIdentity);
    error IdentityTaken(bytes32 identity, address holder);
    error NotMember(address institution);
    error OtherInstitution(address account, address institution);

    event RoleGranted(address indexed account, uint8 indexed role, bytes32 indexed identity, address by);
    event RoleRevoked(address indexed account, uint8 indexed role, bytes32 indexed identity, address by);
    event InstitutionSet(address indexed account, address indexed institution);

    // bit (1 << role) set when the account holds the role
    mapping(address => uint256) private roleBits;
    mapping(address => bytes32) private identities;
    mapping(bytes32 => address) private accounts;
    // the custodian account of the institution the account was enrolled under (0 while it holds no role)
    mapping(address => address) private institutions;
    uint256 public adminCount;
    /// The consortium's InstitutionDirectory (0: one institution, the founder's).
    InstitutionDirectory public immutable directory;
    address public immutable founder;

    constructor(address memberDirectory, bytes32 adminIdentity) {
        directory = InstitutionDirectory(memberDirectory);
        founder = msg.sender;
        _grant(msg.sender, ADMIN, adminIdentity, msg.sender);
    }

    function assignRole(address account, uint8 role, bytes32 identity) external {
        _grant(account, role, identity, _callerInstitution());
    }

    function revokeRole(address account, uint8 role) external {
        address institution = _callerInstitution();
        _checkRole(role);
        if (!hasRole(account, role)) revert RoleNotHeld(account, role);
        if (institutions[account] != institution) revert OtherInstitution(account, institutions[account]);
        if (role == ADMIN) {
            if (adminCount == 1) revert LastAdmin(account);
            adminCount -= 1;
        }
        bytes32 identity = identities[account];
        uint256 bits = roleBits[account] & ~(uint256(1) << role);
        roleBits[account] = bits;
        if (bits == 0) {
            // an account without roles no longer speaks for that identity, nor belongs to an institution
            delete identities[account];
            delete accounts[identity];
            delete institutions[account];
            emit InstitutionSet(account, address(0));
        }
        emit RoleRevoked(account, role, identity, msg.sender);
    }

    function hasRole(address account, uint8 role) public view returns (bool) {
        return roleBits[account] & (uint256(1) << role) != 0;
    }

    function rolesOf(address account) external view returns (uint256) {
        return roleBits[account];
    }

    function identityOf(address account) external view returns (bytes32) {
        return identities[account];
    }

    function accountOf(bytes32 identity) external view returns (address) {
        return accounts[identity];
    }

    /// The custodian account of the institution the account belongs to (0 while it holds no role).
    function institutionOf(address account) external view returns (address) {
        return institutions[account];
    }

    /// Whether the account is an active member's custodian account (without a directory: the founder).
    function isMember(address account) public view returns (bool) {
        return address(directory) == address(0) ? account == founder : directory.isMember(account);
    }

    /// The institution the caller acts for: a member's custodian account for itself, an ADMIN for the institution it
    /// belongs to, which must still be a member. (Without a directory the founder acts as an ADMIN like any other.)
    function _callerInstitution() private view returns (address) {
        if (address(directory) != address(0) && directory.isMember(msg.sender)) return msg.sender;
        if (!hasRole(msg.sender, ADMIN)) revert NotAdmin(msg.sender);
        address institution = institutions[msg.sender];
        if (!isMember(institution)) revert NotMember(institution);
        return institution;
    }

    function _grant(address account, uint8 role, bytes32 identity, address institution) private {
        _checkRole(role);
        if (account == address(0)) revert ZeroAddress();
        // a member's custodian account belongs to itself; any other account to the institution enrolling it first
        address current = institutions[account];
        if (current == address(0)) {
            current = address(directory) != address(0) && directory.isMember(account) ? account : institution;
        }
        if (current != institution) revert OtherInstitution(account, current);
        if (identity == bytes32(0)) revert ZeroIdentity();
        bytes32 bound = identities[account];
        if (bound != bytes32(0) && bound != identity) revert IdentityMismatch(account, bound);
        address holder = accounts[identity];
        if (holder != address(0) && holder != account) revert IdentityTaken(identity, holder);
        if (hasRole(account, role)) revert RoleAlreadyHeld(account, role);
        roleBits[account] |= uint256(1) << role;
        if (bound == bytes32(0)) {
            identities[account] = identity;
            accounts[identity] = account;
        }
        if (institutions[account] == address(0)) {
            institutions[account] = institution;
            emit InstitutionSet(account, institution);
        }
        if (role == ADMIN) adminCount += 1;
        emit RoleGranted(account, role, identity, msg.sender);
    }

    function _checkRole(uint8 role) private pure {
        if (role < ADMIN || role > CUSTODIAN) revert InvalidRole(role);
    }
}
