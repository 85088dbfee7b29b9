package org.fhirledger.ledger.web3j;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.fhirledger.ledger.Institution;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.LedgerReceipt;
import org.fhirledger.ledger.MembershipProposal;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * {@link InstitutionDirectory} over the generated wrapper. Writes go through the owning {@link Web3jLedger}'s
 * submitter, so they share its account's nonce line with every other transaction of this server.
 */
final class Web3jInstitutionDirectory implements InstitutionDirectory {
    // strings and the key are stored twice on admission (proposal, then member): ~650k gas with a P-256 JWK;
    // the limit leaves room for keys up to ~1.5 kB (gas is free on the consortium chain, the limit only bounds it)
    private static final long GAS = 2_000_000;
    private final Web3jLedger ledger;
    private final String address;
    private final org.fhirledger.contracts.generated.InstitutionDirectory contract;

    Web3jInstitutionDirectory(
            Web3jLedger ledger, String address, org.fhirledger.contracts.generated.InstitutionDirectory contract) {
        this.ledger = ledger;
        this.address = address;
        this.contract = contract;
    }

    @Override
    public boolean isMember(String custodian) {
        return ledger.view("isMember", () -> contract.isMember(custodian).send());
    }

    @Override
    public Optional<Institution> member(String custodian) {
        var m = ledger.view("memberOf", () -> contract.memberOf(custodian).send());
        if (!m.component1()) return Optional.empty();
        return Optional.of(new Institution(
                custodian, m.component2(), m.component3(), new String(m.component4(), StandardCharsets.UTF_8)));
    }

    @Override
    public List<Institution> members() {
        List<?> accounts = ledger.view("allMembers", () -> contract.allMembers().send());
        List<Institution> out = new ArrayList<>();
        for (Object a : accounts) member(a.toString()).ifPresent(out::add); // removed between the two calls: skipped
        return out;
    }

    @Override
    public int threshold() {
        return ledger.view("threshold", () -> contract.threshold().send()).intValueExact();
    }

    @Override
    public long proposeAdmission(Institution i) {
        String data = contract.proposeAdmission(
                        i.custodian(),
                        i.organization(),
                        i.fhirBaseUrl(),
                        i.authKeyJwk().getBytes(StandardCharsets.UTF_8))
                .encodeFunctionCall();
        return proposalIdOf(ledger.sendDirect("proposeAdmission", address, data, GAS));
    }

    @Override
    public long proposeRemoval(String custodian) {
        String data = contract.proposeRemoval(custodian).encodeFunctionCall();
        return proposalIdOf(ledger.sendDirect("proposeRemoval", address, data, GAS));
    }

    @Override
    public LedgerReceipt approve(long proposalId) {
        return ledger.sendDirect(
                "approve",
                address,
                contract.approve(BigInteger.valueOf(proposalId)).encodeFunctionCall(),
                GAS);
    }

    @Override
    public LedgerReceipt updateSelf(String fhirBaseUrl, String authKeyJwk) {
        String data = contract.updateSelf(fhirBaseUrl, authKeyJwk.getBytes(StandardCharsets.UTF_8))
                .encodeFunctionCall();
        return ledger.sendDirect("updateSelf", address, data, GAS);
    }

    @Override
    public Optional<MembershipProposal> proposal(long proposalId) {
        BigInteger id = BigInteger.valueOf(proposalId);
        BigInteger count =
                ledger.view("proposalCount", () -> contract.proposalCount().send());
        if (proposalId < 0 || id.compareTo(count) >= 0) return Optional.empty();
        var p = ledger.view("proposalOf", () -> contract.proposalOf(id).send());
        MembershipProposal.Kind kind =
                p.component1().intValueExact() == 0 ? MembershipProposal.Kind.ADMIT : MembershipProposal.Kind.REMOVE;
        return Optional.of(new MembershipProposal(
                proposalId, kind, p.component2(), p.component3(), p.component4().intValueExact()));
    }

    private long proposalIdOf(LedgerReceipt sent) {
        TransactionReceipt r = ledger.view("receipt", () -> ledger.receiptOf(sent.txHash()));
        var proposed = org.fhirledger.contracts.generated.InstitutionDirectory.getProposedEvents(r);
        if (proposed.isEmpty()) throw new LedgerException("no Proposed event in " + sent.txHash());
        return proposed.get(0).id.longValueExact();
    }
}
