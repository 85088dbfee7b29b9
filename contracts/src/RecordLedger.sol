// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessRegistry, ROLE_CUSTODIAN} from "./AccessRegistry.sol";

/// Append-only log of FHIR resource versions: content hash and CID of the encrypted content.
/// Storage holds only the content hash per (custodian, resource, version) - for duplicate rejection and
/// integrity checks by a view call; everything else is in the event, found by its topics.
/// Entries are keyed by the writing custodian, so one custodian can neither claim nor block another's versions.
contract RecordLedger {
    error NotCustodian(address caller);
    error EmptyBatch();
    error LengthMismatch();
    error ZeroResource(uint256 index);
    error ZeroVersion(uint256 index);
    error ZeroContentHash(uint256 index);
    error EmptyCid(uint256 index);
    error DuplicateRecord(uint256 index, bytes32 resource, uint64 version);

    event RecordAppended(
        bytes32 indexed resource,
        uint64 indexed version,
        bytes32 indexed patient,
        uint64 seq,
        bytes32 contentHash,
        bytes cid,
        address custodian
    );

    AccessRegistry public immutable registry;
    /// sequence number the next entry gets; entries are numbered 0, 1, 2, ... without gaps
    uint64 public nextSeq;
    mapping(bytes32 => bytes32) private contentHashes; // keccak(custodian, resource, version) => content hash

    constructor(AccessRegistry accessRegistry) {
        registry = accessRegistry;
    }

    /// Appends one entry per index; reverts as a whole if any entry is invalid or already recorded.
    /// patients[i] may be zero for resources outside any patient compartment.
    function appendRecords(
        bytes32[] calldata resources,
        uint64[] calldata versions,
        bytes32[] calldata contentHashes_,
        bytes[] calldata cids,
        bytes32[] calldata patients
    ) external {
        if (!registry.hasRole(msg.sender, ROLE_CUSTODIAN)) revert NotCustodian(msg.sender);
        uint256 n = resources.length;
        if (n == 0) revert EmptyBatch();
        if (versions.length != n || contentHashes_.length != n || cids.length != n || patients.length != n) {
            revert LengthMismatch();
        }
        uint64 seq = nextSeq;
        for (uint256 i = 0; i < n; ++i) {
            bytes32 resource = resources[i];
            uint64 version = versions[i];
            bytes32 contentHash = contentHashes_[i];
            if (resource == bytes32(0)) revert ZeroResource(i);
            if (version == 0) revert ZeroVersion(i);
            if (contentHash == bytes32(0)) revert ZeroContentHash(i);
            if (cids[i].length == 0) revert EmptyCid(i);
            bytes32 key = keccak256(abi.encode(msg.sender, resource, version));
            if (contentHashes[key] != bytes32(0)) revert DuplicateRecord(i, resource, version);
            contentHashes[key] = contentHash;
            emit RecordAppended(resource, version, patients[i], seq, contentHash, cids[i], msg.sender);
            unchecked {
                ++seq;
            }
        }
        nextSeq = seq;
    }

    /// Content hash the custodian recorded for (resource, version), or zero when there is none.
    function contentHashOf(address custodian, bytes32 resource, uint64 version) external view returns (bytes32) {
        return contentHashes[keccak256(abi.encode(custodian, resource, version))];
    }
}
