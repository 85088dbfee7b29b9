package org.fhirledger.ledger.web3j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

/** Names custom errors from revert data, using the ABIs shipped in the contracts jar. */
public final class ContractErrors {
    private static final List<String> CONTRACTS = List.of(
            "AccessRegistry",
            "ConsentRegistry",
            "RecordLedger",
            "AccessLedger",
            "AnchorRegistry",
            "InstitutionDirectory",
            "KeyRelease");
    private static final Map<String, String> SIGNATURE_BY_SELECTOR = load();

    /** A decoded revert: error name, signature and the raw 32-byte argument words. */
    record Revert(String name, String signature, List<BigInteger> words) {
        /** The first argument as a number (the entry index of per-entry errors). */
        int firstArgAsIndex() {
            return words.isEmpty() ? -1 : words.get(0).intValueExact();
        }
    }

    private ContractErrors() {}

    /** The name of the contract error in revert data (e.g. {@code TreeSizeNotGrowing}), or {@code UnknownRevert}. */
    public static String errorName(String revertData) {
        return decode(revertData).name();
    }

    static Revert decode(String revertData) {
        // web3j hands over the JSON value of error.data, quotes included
        if (revertData != null) revertData = revertData.replace("\"", "").trim();
        if (revertData == null || !revertData.startsWith("0x") || revertData.length() < 10) {
            return new Revert("UnknownRevert", "?", List.of());
        }
        String selector = revertData.substring(0, 10).toLowerCase(Locale.ROOT);
        String signature = SIGNATURE_BY_SELECTOR.get(selector);
        String args = revertData.substring(10);
        java.util.ArrayList<BigInteger> words = new java.util.ArrayList<>();
        for (int i = 0; i + 64 <= args.length(); i += 64) {
            words.add(new BigInteger(args.substring(i, i + 64), 16));
        }
        if (signature == null) {
            return new Revert("UnknownError(" + selector + ")", selector, words);
        }
        return new Revert(signature.substring(0, signature.indexOf('(')), signature, words);
    }

    /**
     * Whether a JSON-RPC error of eth_call is the contract refusing (a revert), as opposed to the node failing to
     * execute the call at all (-32000 "header not found", rate limits, timeouts): only a revert is final.
     * A revert is: data naming one of our errors, code 3 (geth, anvil), or a message saying "revert" (Besu).
     */
    static boolean isRevert(org.web3j.protocol.core.Response.Error error, Revert decoded) {
        if (error == null) return false;
        if (!decoded.signature().equals("?") && !decoded.name().startsWith("UnknownError(")) return true;
        if (error.getCode() == 3) return true;
        String msg = String.valueOf(error.getMessage()).toLowerCase(Locale.ROOT);
        return msg.contains("revert");
    }

    private static Map<String, String> load() {
        ObjectMapper json = new ObjectMapper();
        Map<String, String> map = new HashMap<>();
        for (String c : CONTRACTS) {
            String path = "/org/fhirledger/contracts/abi/" + c + ".abi";
            try (InputStream in = ContractErrors.class.getResourceAsStream(path)) {
                if (in == null) throw new IllegalStateException("ABI " + path + " missing from the contracts jar");
                for (JsonNode item : json.readTree(in)) {
                    if (!"error".equals(item.path("type").asText())) continue;
                    StringBuilder sig = new StringBuilder(item.get("name").asText()).append('(');
                    for (int i = 0; i < item.get("inputs").size(); i++) {
                        if (i > 0) sig.append(',');
                        sig.append(item.get("inputs").get(i).get("type").asText());
                    }
                    String s = sig.append(')').toString();
                    map.put(
                            Numeric.toHexString(Hash.sha3(s.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))
                                    .substring(0, 10),
                            s);
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read ABI " + path, e);
            }
        }
        return Map.copyOf(map);
    }
}
