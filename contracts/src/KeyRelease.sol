// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {InstitutionDirectory} from "./InstitutionDirectory.sol";

/// Data keys a custodian releases to another member, so that member can read the custodian's ciphertext from the
/// content store while the custodian's server is down (docs/exchange.md, custodian offline). Each member publishes
/// an encryption public key (a Tink HPKE public keyset, not its ledger key); a custodian records a data key wrapped
/// to that key for one patient (by consortium pseudonym) and key version. Only active members of the directory may
/// publish or release. Nothing here is personal data: pseudonyms and ciphertext only.
contract KeyRelease {
    error NotMember(address account);
    error NoPublishedKey(address member);
    error ZeroIdentity();
    error ZeroKeyVersion();
    error EmptyField();
    error SelfRelease();

    event EncryptionKeyPublished(address indexed member, bytes publicKey);
    event KeyReleased(address indexed custodian, address indexed member, bytes32 indexed patient, uint32 keyVersion,
        bytes wrappedKey);

    InstitutionDirectory public immutable directory;
    mapping(address => bytes) private keys;
    // keccak256(custodian, member, patient, keyVersion) => block of the latest release (0: none)
    mapping(bytes32 => uint256) private released;

    constructor(address memberDirectory) {
        directory = InstitutionDirectory(memberDirectory);
    }

    modifier onlyMember() {
        if (!directory.isMember(msg.sender)) revert NotMember(msg.sender);
        _;
    }

    /// The caller's encryption public key (replaces an earlier one; releases made to the earlier key stay as they are).
    function publishKey(bytes calldata publicKey) external onlyMember {
        if (publicKey.length == 0) revert EmptyField();
        keys[msg.sender] = publicKey;
        emit EncryptionKeyPublished(msg.sender, publicKey);
    }

    /// Records a data key of the caller's, wrapped to the member's published key. A later release for the same
    /// (custodian, member, patient, key version) supersedes the earlier one.
    function release(address member, bytes32 patient, uint32 keyVersion, bytes calldata wrappedKey)
            external onlyMember {
        if (member == msg.sender) revert SelfRelease();
        if (!directory.isMember(member)) revert NotMember(member);
        if (keys[member].length == 0) revert NoPublishedKey(member);
        if (patient == bytes32(0)) revert ZeroIdentity();
        if (keyVersion == 0) revert ZeroKeyVersion();
        if (wrappedKey.length == 0) revert EmptyField();
        released[keccak256(abi.encode(msg.sender, member, patient, keyVersion))] = block.number;
        emit KeyReleased(msg.sender, member, patient, keyVersion, wrappedKey);
    }

    function keyOf(address member) external view returns (bytes memory) {
        return keys[member];
    }

    /// The block of the latest release for this key, 0 if none: its KeyReleased event is read from that block only.
    function releaseBlock(address custodian, address member, bytes32 patient, uint32 keyVersion)
            external view returns (uint256) {
        return released[keccak256(abi.encode(custodian, member, patient, keyVersion))];
    }
}
