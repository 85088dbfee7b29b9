// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessRegistry, ROLE_CUSTODIAN} from "./AccessRegistry.sol";

/// Append-only log of accesses (allowed or denied): one entry per FHIR AuditEvent, by its hash.
contract AccessLedger {
    error NotCustodian(address caller);
    error EmptyBatch();
    error LengthMismatch();
    error ZeroAuditHash(uint256 index);
    error InvalidOutcome(uint256 index, uint8 outcome);
    error DuplicateAudit(uint256 index, bytes32 auditHash);

    uint8 public constant OUTCOME_ALLOWED = 0;
    uint8 public constant OUTCOME_DENIED = 1;

    event AccessAppended(
        bytes32 indexed patient,
        bytes32 indexed resource,
        address indexed actor,
        uint64 seq,
        uint8 action,
        uint8 outcome,
        uint64 time,
        bytes32 auditHash
    );

    AccessRegistry public immutable registry;
    uint64 public nextSeq;
    mapping(bytes32 => uint64) private seqPlusOne; // audit hash => seq + 1 (0 = absent)

    constructor(AccessRegistry accessRegistry) {
        registry = accessRegistry;
    }

    function appendAccesses(
        address[] calldata actors,
        bytes32[] calldata patients,
        bytes32[] calldata resources,
        uint8[] calldata actions,
        uint8[] calldata outcomes,
        uint64[] calldata times,
        bytes32[] calldata auditHashes
    ) external {
        if (!registry.hasRole(msg.sender, ROLE_CUSTODIAN)) revert NotCustodian(msg.sender);
        uint256 n = auditHashes.length;
        if (n == 0) revert EmptyBatch();
        if (
            actors.length != n || patients.length != n || resources.length != n || actions.length != n
                || outcomes.length != n || times.length != n
        ) revert LengthMismatch();
        uint64 seq = nextSeq;
        for (uint256 i = 0; i < n; ++i) {
            bytes32 auditHash = auditHashes[i];
            if (auditHash == bytes32(0)) revert ZeroAuditHash(i);
            if (outcomes[i] > OUTCOME_DENIED) revert InvalidOutcome(i, outcomes[i]);
            if (seqPlusOne[auditHash] != 0) revert DuplicateAudit(i, auditHash);
            unchecked {
                seqPlusOne[auditHash] = seq + 1;
            }
            emit AccessAppended(patients[i], resources[i], actors[i], seq, actions[i], outcomes[i], times[i], auditHash);
            unchecked {
                ++seq;
            }
        }
        nextSeq = seq;
    }

    /// Whether an access entry with this audit hash exists, and its sequence number.
    function accessOf(bytes32 auditHash) external view returns (bool found, uint64 seq) {
        uint64 s = seqPlusOne[auditHash];
        return (s != 0, s == 0 ? 0 : s - 1);
    }
}
