// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

// Role numbers, shared with the contracts that check roles.
uint8 constant ROLE_ADMIN = 1;
uint8 constant ROLE_CLINICIAN = 2;
uint8 constant ROLE_PATIENT = 3;
uint8 constant ROLE_AUDITOR = 4;
uint8 constant ROLE_CUSTODIAN = 5;

/// Roles of ledger accounts, each account bound to one pseudonymous identity
/// (a keyed hash of e.g. "Practitioner/123"; the identifier itself never goes on chain).
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

    event RoleGranted(address indexed account, uint8 indexed role, bytes32 indexed identity, address by);
    event RoleRevoked(address indexed account, uint8 indexed role, bytes32 indexed identity, address by);

    // bit (1 << role) set when the account holds the role
    mapping(address => uint256) private roleBits;
    mapping(address => bytes32) private identities;
    mapping(bytes32 => address) private accounts;
    uint256 public adminCount;

    constructor(bytes32 adminIdentity) {
        _grant(msg.sender, ADMIN, adminIdentity);
    }

    modifier onlyAdmin() {
        if (!hasRole(msg.sender, ADMIN)) revert NotAdmin(msg.sender);
        _;
    }

    function assignRole(address account, uint8 role, bytes32 identity) external onlyAdmin {
        _grant(account, role, identity);
    }

    function revokeRole(address account, uint8 role) external onlyAdmin {
        _checkRole(role);
        if (!hasRole(account, role)) revert RoleNotHeld(account, role);
        if (role == ADMIN) {
            if (adminCount == 1) revert LastAdmin(account);
            adminCount -= 1;
        }
        bytes32 identity = identities[account];
        uint256 bits = roleBits[account] & ~(uint256(1) << role);
        roleBits[account] = bits;
        if (bits == 0) {
            // an account without roles no longer speaks for that identity
            delete identities[account];
            delete accounts[identity];
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

    function _grant(address account, uint8 role, bytes32 identity) private {
        _checkRole(role);
        if (account == address(0)) revert ZeroAddress();
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
        if (role == ADMIN) adminCount += 1;
        emit RoleGranted(account, role, identity, msg.sender);
    }

    function _checkRole(uint8 role) private pure {
        if (role < ADMIN || role > CUSTODIAN) revert InvalidRole(role);
    }
}
