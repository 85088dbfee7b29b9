// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// Public-chain anchors of the private ledger's Merkle tree: (tree size, root) pairs, tree size
/// strictly growing. The owner (deployer) authorises the anchorer accounts.
contract AnchorRegistry {
    struct Anchor {
        uint64 treeSize;
        uint64 timestamp;
        bytes32 root;
    }

    error NotOwner(address caller);
    error NotAnchorer(address caller);
    error ZeroAddress();
    error ZeroRoot();
    error TreeSizeNotGrowing(uint64 previous, uint64 given);
    error NoAnchors();
    error IndexOutOfRange(uint256 index, uint256 count);

    event AnchorerSet(address indexed anchorer, bool allowed, address by);
    event AnchorAppended(uint256 indexed index, uint64 indexed treeSize, bytes32 root, address by);

    address public immutable owner;
    mapping(address => bool) public isAnchorer;
    Anchor[] private anchors;

    constructor() {
        owner = msg.sender;
    }

    function setAnchorer(address anchorer, bool allowed) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        if (anchorer == address(0)) revert ZeroAddress();
        isAnchorer[anchorer] = allowed;
        emit AnchorerSet(anchorer, allowed, msg.sender);
    }

    function anchor(uint64 treeSize, bytes32 root) external {
        if (!isAnchorer[msg.sender]) revert NotAnchorer(msg.sender);
        if (root == bytes32(0)) revert ZeroRoot();
        uint256 count = anchors.length;
        uint64 previous = count == 0 ? 0 : anchors[count - 1].treeSize;
        if (treeSize <= previous) revert TreeSizeNotGrowing(previous, treeSize);
        anchors.push(Anchor(treeSize, uint64(block.timestamp), root));
        emit AnchorAppended(count, treeSize, root, msg.sender);
    }

    function anchorCount() external view returns (uint256) {
        return anchors.length;
    }

    function latestAnchor() external view returns (uint64 treeSize, uint64 timestamp, bytes32 root) {
        if (anchors.length == 0) revert NoAnchors();
        Anchor storage a = anchors[anchors.length - 1];
        return (a.treeSize, a.timestamp, a.root);
    }

    function anchorAt(uint256 index) external view returns (uint64 treeSize, uint64 timestamp, bytes32 root) {
        if (index >= anchors.length) revert IndexOutOfRange(index, anchors.length);
        Anchor storage a = anchors[index];
        return (a.treeSize, a.timestamp, a.root);
    }
}
