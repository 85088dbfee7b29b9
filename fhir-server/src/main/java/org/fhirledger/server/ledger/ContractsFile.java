package org.fhirledger.server.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.fhirledger.files.DurableFiles;
import org.fhirledger.ledger.ContractAddresses;

/**
 * {@code contracts.json}: the chain id, the four private-chain contract addresses and the block their events are
 * searched from, and the consortium's InstitutionDirectory and KeyRelease (optional). Written once (by the dev bootstrap or the deploy job), read at every start.
 */
public final class ContractsFile {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DIRECTORY = "institutionDirectory";
    private static final String KEY_RELEASE = "keyRelease";

    private ContractsFile() {}

    public static ContractAddresses read(Path file, long expectedChainId) {
        JsonNode n;
        try {
            n = JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the ledger contracts file " + file + ": " + e.getMessage(), e);
        }
        String[] keys = {"accessRegistry", "consentRegistry", "recordLedger", "accessLedger", "fromBlock", "chainId"};
        for (String k : keys) {
            if (n == null || !n.hasNonNull(k)) {
                throw new IllegalStateException("ledger contracts file " + file + " lacks \"" + k + "\"");
            }
        }
        long chainId = n.get("chainId").asLong();
        if (chainId != expectedChainId) {
            throw new IllegalStateException("ledger contracts file " + file + " is for chain id " + chainId
                    + ", but ledger.chain-id is " + expectedChainId);
        }
        return new ContractAddresses(
                n.get("accessRegistry").asText(),
                n.get("consentRegistry").asText(),
                n.get("recordLedger").asText(),
                n.get("accessLedger").asText(),
                n.get("fromBlock").asLong());
    }

    /** The consortium's InstitutionDirectory named in the file, if any (files written before it existed lack it). */
    public static Optional<String> directory(Path file) {
        try {
            JsonNode n = JSON.readTree(Files.readAllBytes(file));
            return n != null && n.hasNonNull(DIRECTORY)
                    ? Optional.of(n.get(DIRECTORY).asText())
                    : Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the ledger contracts file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The consortium's KeyRelease contract named in the file, if any (files written before it existed lack it). */
    public static Optional<String> keyRelease(Path file) {
        try {
            JsonNode n = JSON.readTree(Files.readAllBytes(file));
            return n != null && n.hasNonNull(KEY_RELEASE)
                    ? Optional.of(n.get(KEY_RELEASE).asText())
                    : Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the ledger contracts file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Adds (or replaces) the KeyRelease address in an existing file, keeping everything else. */
    static void writeKeyRelease(Path file, String address) {
        try {
            ObjectNode n = (ObjectNode) JSON.readTree(Files.readAllBytes(file));
            n.put(KEY_RELEASE, address);
            DurableFiles.writeAtomically(
                    file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the ledger contracts file " + file, e);
        }
    }

    /** Writes the file; {@code directory} may be null (no consortium directory). */
    static void write(Path file, long chainId, ContractAddresses c, String directory) {
        ObjectNode n = JSON.createObjectNode();
        n.put("chainId", chainId);
        n.put("accessRegistry", c.accessRegistry());
        n.put("consentRegistry", c.consentRegistry());
        n.put("recordLedger", c.recordLedger());
        n.put("accessLedger", c.accessLedger());
        n.put("fromBlock", c.fromBlock());
        if (directory != null) n.put(DIRECTORY, directory);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            DurableFiles.writeAtomically(
                    file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the ledger contracts file " + file, e);
        }
    }
}
