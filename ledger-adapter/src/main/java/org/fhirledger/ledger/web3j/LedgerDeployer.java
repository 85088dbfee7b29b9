package org.fhirledger.ledger.web3j;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.fhirledger.bytes.Bytes32;
import org.fhirledger.contracts.generated.AccessLedger;
import org.fhirledger.contracts.generated.AccessRegistry;
import org.fhirledger.contracts.generated.AnchorRegistry;
import org.fhirledger.contracts.generated.ConsentRegistry;
import org.fhirledger.contracts.generated.InstitutionDirectory;
import org.fhirledger.contracts.generated.RecordLedger;
import org.fhirledger.ledger.ContractAddresses;
import org.fhirledger.ledger.ContractRevertException;
import org.fhirledger.ledger.LedgerException;
import org.fhirledger.ledger.Role;
import org.web3j.abi.datatypes.Address;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.RemoteFunctionCall;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.TransactionManager;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;

/** Deploys the contracts and performs the admin's role assignments (as the admin account, not the adapter). */
public final class LedgerDeployer {
    private static final BigInteger DEPLOY_GAS = BigInteger.valueOf(5_000_000);

    private final Web3j web3j;
    private final Credentials credentials;
    private final TransactionManager txManager;
    private final StaticGasProvider gas;

    public LedgerDeployer(Web3j web3j, Credentials credentials, long chainId, BigInteger gasPrice) {
        this.web3j = web3j;
        this.credentials = credentials;
        // poll every 100 ms for up to 60 s (web3j's default polls every 15 s)
        this.txManager = new RawTransactionManager(
                web3j, credentials, chainId, new PollingTransactionReceiptProcessor(web3j, 100, 600));
        this.gas = new StaticGasProvider(gasPrice, DEPLOY_GAS);
    }

    /**
     * Deploys the four private-chain contracts for one institution (AccessRegistry without a directory); the deployer
     * becomes the first ADMIN with adminIdentity.
     */
    public ContractAddresses deployPrivate(Bytes32 adminIdentity) {
        return deployPrivate(null, adminIdentity);
    }

    /**
     * Deploys the four private-chain contracts, AccessRegistry scoping roles to the members of that
     * InstitutionDirectory (null: one institution, the deployer's); the deployer becomes the first ADMIN.
     */
    public ContractAddresses deployPrivate(String institutionDirectory, Bytes32 adminIdentity) {
        try {
            long startBlock = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
            AccessRegistry registry = AccessRegistry.deploy(
                            web3j,
                            txManager,
                            gas,
                            institutionDirectory == null ? Address.DEFAULT.toString() : institutionDirectory,
                            adminIdentity.toArray())
                    .send();
            ConsentRegistry consent = ConsentRegistry.deploy(web3j, txManager, gas, registry.getContractAddress())
                    .send();
            RecordLedger records = RecordLedger.deploy(web3j, txManager, gas, registry.getContractAddress())
                    .send();
            AccessLedger accesses = AccessLedger.deploy(web3j, txManager, gas, registry.getContractAddress())
                    .send();
            return new ContractAddresses(
                    registry.getContractAddress(),
                    consent.getContractAddress(),
                    records.getContractAddress(),
                    accesses.getContractAddress(),
                    startBlock);
        } catch (Exception e) {
            throw new LedgerException("deploying the ledger contracts failed: " + e.getMessage(), e);
        }
    }

    /**
     * Deploys the consortium's InstitutionDirectory with this account as its founding member (its custodian
     * account), under that Organization identifier, FHIR base URL and authentication key (a JWK, as JSON).
     */
    public String deployInstitutionDirectory(String organization, String fhirBaseUrl, String authKeyJwk) {
        try {
            return InstitutionDirectory.deploy(
                            web3j,
                            txManager,
                            gas,
                            organization,
                            fhirBaseUrl,
                            authKeyJwk.getBytes(StandardCharsets.UTF_8))
                    .send()
                    .getContractAddress();
        } catch (Exception e) {
            throw new LedgerException("deploying InstitutionDirectory failed: " + e.getMessage(), e);
        }
    }

    /** Deploys KeyRelease over the consortium's InstitutionDirectory (who may publish and release). */
    public String deployKeyRelease(String institutionDirectory) {
        try {
            return org.fhirledger.contracts.generated.KeyRelease.deploy(web3j, txManager, gas, institutionDirectory)
                    .send()
                    .getContractAddress();
        } catch (Exception e) {
            throw new LedgerException("deploying KeyRelease failed: " + e.getMessage(), e);
        }
    }

    /** Deploys the public-chain AnchorRegistry (owner = this account) and authorises the anchorer. */
    public String deployAnchorRegistry(String anchorer) {
        try {
            AnchorRegistry anchors =
                    AnchorRegistry.deploy(web3j, txManager, gas).send();
            anchors.setAnchorer(anchorer, true).send();
            return anchors.getContractAddress();
        } catch (Exception e) {
            throw new LedgerException("deploying AnchorRegistry failed: " + e.getMessage(), e);
        }
    }

    /** Assigns a role as this (admin) account. */
    public TransactionReceipt assignRole(ContractAddresses contracts, String account, Role role, Bytes32 identity) {
        return send(
                "assignRole",
                contracts.accessRegistry(),
                registry(contracts).assignRole(account, BigInteger.valueOf(role.code()), identity.toArray()));
    }

    /** Revokes a role as this (admin) account. */
    public TransactionReceipt revokeRole(ContractAddresses contracts, String account, Role role) {
        return send(
                "revokeRole",
                contracts.accessRegistry(),
                registry(contracts).revokeRole(account, BigInteger.valueOf(role.code())));
    }

    public String account() {
        return credentials.getAddress();
    }

    private AccessRegistry registry(ContractAddresses contracts) {
        return AccessRegistry.load(contracts.accessRegistry(), web3j, txManager, gas);
    }

    /** Simulates first so a refusal surfaces as the contract's named error, then sends and waits. */
    private TransactionReceipt send(String what, String to, RemoteFunctionCall<TransactionReceipt> call) {
        try {
            EthCall sim = web3j.ethCall(
                            Transaction.createEthCallTransaction(
                                    credentials.getAddress(), to, call.encodeFunctionCall()),
                            DefaultBlockParameterName.LATEST)
                    .send();
            if (sim.hasError() || sim.isReverted()) {
                ContractErrors.Revert r = ContractErrors.decode(
                        sim.getError() == null ? null : sim.getError().getData());
                throw new ContractRevertException(r.name(), what);
            }
            TransactionReceipt r = call.send();
            if (!r.isStatusOK()) throw new LedgerException(what + " reverted in " + r.getTransactionHash());
            return r;
        } catch (LedgerException e) {
            throw e;
        } catch (Exception e) {
            throw new LedgerException(what + " failed: " + e.getMessage(), e);
        }
    }
}
