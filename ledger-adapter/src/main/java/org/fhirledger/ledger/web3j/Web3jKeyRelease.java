package org.fhirledger.ledger.web3j;

import java.math.BigInteger;
import java.util.Optional;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.contracts.generated.KeyRelease;
import org.fhirledger.ledger.KeyReleaseLedger;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.LedgerReceipt;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.TypeEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/**
 * {@link KeyReleaseLedger} over the generated wrapper. Writes go through the owning {@link Web3jLedger}'s submitter
 * (this server's nonce line). A release is read from the one block the contract names for it
 * ({@code releaseBlock}), so no scan of the chain.
 */
final class Web3jKeyRelease implements KeyReleaseLedger {
    // a public keyset is ~60 bytes and a wrapped key a few hundred to a few thousand (the resource index grows with
    // the patient's resources): the limit bounds it, gas is free on the consortium chain
    private static final long GAS = 3_000_000;
    private final Web3jLedger ledger;
    private final Web3j web3j;
    private final String address;
    private final KeyRelease contract;

    Web3jKeyRelease(Web3jLedger ledger, Web3j web3j, String address, KeyRelease contract) {
        this.ledger = ledger;
        this.web3j = web3j;
        this.address = address;
        this.contract = contract;
    }

    @Override
    public LedgerReceipt publishKey(byte[] publicKey) {
        return ledger.sendDirect(
                "publishKey", address, contract.publishKey(publicKey).encodeFunctionCall(), GAS);
    }

    @Override
    public Optional<byte[]> publishedKey(String member) {
        byte[] key = ledger.view("keyOf", () -> contract.keyOf(member).send());
        return key == null || key.length == 0 ? Optional.empty() : Optional.of(key);
    }

    @Override
    public LedgerReceipt release(String member, Bytes32 patient, int keyVersion, byte[] wrappedKey) {
        String data = contract.release(member, patient.toArray(), BigInteger.valueOf(keyVersion), wrappedKey)
                .encodeFunctionCall();
        return ledger.sendDirect("release", address, data, GAS);
    }

    @Override
    public Optional<byte[]> released(String custodian, String member, Bytes32 patient, int keyVersion) {
        // The contract is asked as of a block the node says it has, not "latest": anvil answers a call with the
        // state of a block it is still adding a moment before eth_getLogs accepts that block's number, so a release
        // mined just then was seen and its log refused ("block height is N but requested was N+1").
        BigInteger head = ledger.view(
                "eth_blockNumber", () -> web3j.ethBlockNumber().send().getBlockNumber());
        String releaseBlock = contract.releaseBlock(
                        custodian, member, patient.toArray(), BigInteger.valueOf(keyVersion))
                .encodeFunctionCall();
        BigInteger block = ledger.view("releaseBlock", () -> {
            EthCall result = web3j.ethCall(
                            Transaction.createEthCallTransaction(null, address, releaseBlock),
                            DefaultBlockParameter.valueOf(head))
                    .send();
            if (result.hasError() || result.isReverted())
                throw new LedgerException("releaseBlock failed: "
                        + (result.hasError() ? result.getError().getMessage() : result.getRevertReason()));
            String word = result.getValue();
            return word == null || word.length() <= 2 ? BigInteger.ZERO : Numeric.toBigInt(word);
        });
        if (block.signum() == 0) return Optional.empty();
        return ledger.view("KeyReleased", () -> {
            EthFilter filter =
                    new EthFilter(DefaultBlockParameter.valueOf(block), DefaultBlockParameter.valueOf(block), address);
            filter.addSingleTopic(EventEncoder.encode(KeyRelease.KEYRELEASED_EVENT));
            filter.addSingleTopic(topic(custodian));
            filter.addSingleTopic(topic(member));
            filter.addSingleTopic(Numeric.toHexString(patient.toArray()));
            EthLog logs = web3j.ethGetLogs(filter).send();
            if (logs.hasError())
                throw new LedgerException(
                        "eth_getLogs failed: " + logs.getError().getMessage());
            byte[] latest = null;
            for (EthLog.LogResult<?> r : logs.getLogs()) {
                Log log = (Log) r.get();
                if (log.isRemoved()) continue;
                KeyRelease.KeyReleasedEventResponse e = KeyRelease.getKeyReleasedEventFromLog(log);
                if (e.keyVersion.intValueExact() == keyVersion) latest = e.wrappedKey; // last in the block wins
            }
            return Optional.ofNullable(latest);
        });
    }

    private static String topic(String account) {
        return "0x" + TypeEncoder.encode(new Address(account));
    }
}
