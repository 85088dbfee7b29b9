// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// The consortium's member directory: each member institution's custodian account, its Organization
/// identity, its FHIR base URL and the public key it authenticates to other members with. Members are
/// admitted and removed by a strict majority of the active members (the proposer's approval counts);
/// a member edits only its own entry. Nothing here is personal data.
contract InstitutionDirectory {
    enum Kind { Admit, Remove }

    struct Member {
        bool active;
        string organization; // the Organization's business identifier, e.g. "urn:oid:1.2.3" (not PHI)
        string fhirBaseUrl;
        bytes authKey; // public key as a JWK (JSON) members check JWT client assertions against
    }

    struct Proposal {
        Kind kind;
        address subject;
        bool executed;
        address[] approvers;
        string organization;
        string fhirBaseUrl;
        bytes authKey;
    }

    error NotMember(address caller);
    error AlreadyMember(address account);
    error ZeroAddress();
    error EmptyField();
    error NoSuchProposal(uint256 id);
    error AlreadyExecuted(uint256 id);
    error AlreadyApproved(uint256 id, address member);
    error LastMember(address account);

    event MemberAdmitted(address indexed custodian, string organization, string fhirBaseUrl, bytes authKey, uint256 proposal);
    event MemberRemoved(address indexed custodian, uint256 proposal);
    event MemberUpdated(address indexed custodian, string fhirBaseUrl, bytes authKey);
    event Proposed(uint256 indexed id, Kind kind, address indexed subject, address indexed by);
    event Approved(uint256 indexed id, address indexed by, uint256 approvals, uint256 needed);

    mapping(address => Member) private members;
    address[] private memberList; // active members, unordered
    Proposal[] private proposals;

    constructor(string memory organization, string memory fhirBaseUrl, bytes memory authKey) {
        _checkFields(organization, fhirBaseUrl, authKey);
        _admit(msg.sender, organization, fhirBaseUrl, authKey, type(uint256).max);
    }

    modifier onlyMember() {
        if (!members[msg.sender].active) revert NotMember(msg.sender);
        _;
    }

    function proposeAdmission(address custodian, string calldata organization, string calldata fhirBaseUrl,
            bytes calldata authKey) external onlyMember returns (uint256 id) {
        if (custodian == address(0)) revert ZeroAddress();
        if (members[custodian].active) revert AlreadyMember(custodian);
        _checkFields(organization, fhirBaseUrl, authKey);
        id = proposals.length;
        Proposal storage p = proposals.push();
        p.kind = Kind.Admit;
        p.subject = custodian;
        p.organization = organization;
        p.fhirBaseUrl = fhirBaseUrl;
        p.authKey = authKey;
        emit Proposed(id, Kind.Admit, custodian, msg.sender);
        _approve(id);
    }

    function proposeRemoval(address custodian) external onlyMember returns (uint256 id) {
        if (!members[custodian].active) revert NotMember(custodian);
        if (memberList.length == 1) revert LastMember(custodian);
        id = proposals.length;
        Proposal storage p = proposals.push();
        p.kind = Kind.Remove;
        p.subject = custodian;
        emit Proposed(id, Kind.Remove, custodian, msg.sender);
        _approve(id);
    }

    function approve(uint256 id) external onlyMember {
        if (id >= proposals.length) revert NoSuchProposal(id);
        _approve(id);
    }

    /// A member moves its own endpoint or rotates its own key; nobody else can.
    function updateSelf(string calldata fhirBaseUrl, bytes calldata authKey) external onlyMember {
        if (bytes(fhirBaseUrl).length == 0 || authKey.length == 0) revert EmptyField();
        Member storage m = members[msg.sender];
        m.fhirBaseUrl = fhirBaseUrl;
        m.authKey = authKey;
        emit MemberUpdated(msg.sender, fhirBaseUrl, authKey);
    }

    function isMember(address account) external view returns (bool) {
        return members[account].active;
    }

    function memberOf(address account) external view
            returns (bool active, string memory organization, string memory fhirBaseUrl, bytes memory authKey) {
        Member storage m = members[account];
        return (m.active, m.organization, m.fhirBaseUrl, m.authKey);
    }

    function allMembers() external view returns (address[] memory) {
        return memberList;
    }

    function memberCount() external view returns (uint256) {
        return memberList.length;
    }

    /// Approvals a proposal needs now: a strict majority of the active members.
    function threshold() public view returns (uint256) {
        return memberList.length / 2 + 1;
    }

    function proposalCount() external view returns (uint256) {
        return proposals.length;
    }

    function proposalOf(uint256 id) external view
            returns (Kind kind, address subject, bool executed, uint256 approvals) {
        if (id >= proposals.length) revert NoSuchProposal(id);
        Proposal storage p = proposals[id];
        return (p.kind, p.subject, p.executed, _activeApprovals(p));
    }

    function _approve(uint256 id) private {
        Proposal storage p = proposals[id];
        if (p.executed) revert AlreadyExecuted(id);
        for (uint256 i = 0; i < p.approvers.length; i++) {
            if (p.approvers[i] == msg.sender) revert AlreadyApproved(id, msg.sender);
        }
        p.approvers.push(msg.sender);
        // approvals of members removed since they approved no longer count
        uint256 approvals = _activeApprovals(p);
        uint256 needed = threshold();
        emit Approved(id, msg.sender, approvals, needed);
        if (approvals < needed) return;
        p.executed = true;
        if (p.kind == Kind.Admit) {
            // admitted meanwhile through another proposal
            if (members[p.subject].active) revert AlreadyMember(p.subject);
            _admit(p.subject, p.organization, p.fhirBaseUrl, p.authKey, id);
        } else {
            if (!members[p.subject].active) revert NotMember(p.subject);
            if (memberList.length == 1) revert LastMember(p.subject);
            _remove(p.subject, id);
        }
    }

    function _activeApprovals(Proposal storage p) private view returns (uint256 n) {
        for (uint256 i = 0; i < p.approvers.length; i++) {
            if (members[p.approvers[i]].active) n++;
        }
    }

    function _admit(address custodian, string memory organization, string memory fhirBaseUrl,
            bytes memory authKey, uint256 proposal) private {
        members[custodian] = Member(true, organization, fhirBaseUrl, authKey);
        memberList.push(custodian);
        emit MemberAdmitted(custodian, organization, fhirBaseUrl, authKey, proposal);
    }

    function _remove(address custodian, uint256 proposal) private {
        members[custodian].active = false;
        for (uint256 i = 0; i < memberList.length; i++) {
            if (memberList[i] == custodian) {
                memberList[i] = memberList[memberList.length - 1];
                memberList.pop();
                break;
            }
        }
        emit MemberRemoved(custodian, proposal);
    }

    function _checkFields(string memory organization, string memory fhirBaseUrl, bytes memory authKey) private pure {
        if (bytes(organization).length == 0 || bytes(fhirBaseUrl).length == 0 || authKey.length == 0) {
            revert EmptyField();
        }
    }
}
