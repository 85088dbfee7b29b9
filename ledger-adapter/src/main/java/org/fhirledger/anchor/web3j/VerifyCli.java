package org.fhirledger.anchor.web3j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fhirledger.anchor.AnchorChain;
import org.fhirledger.anchor.StandaloneVerifier;
import org.fhirledger.anchor.VerifyOutput;

/**
 * {@code bin/verify}: checks a saved {@code $verify} answer (and optionally the resource) against the public chain.
 * <pre>
 * verify --rpc URL --chain-id N --registry 0x... VERIFY_JSON [RESOURCE_JSON]
 * </pre>
 * Exit status 0 when every check passed, 1 when one failed, 2 on a usage error.
 */
public final class VerifyCli {

    private VerifyCli() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the checks and prints the report; returns the exit status. */
    public static int run(String[] args) {
        String rpc = null;
        String registry = null;
        Long chainId = null;
        Path answerFile = null;
        Path resourceFile = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--rpc" -> rpc = args[++i];
                    case "--registry" -> registry = args[++i];
                    case "--chain-id" -> chainId = Long.parseLong(args[++i]);
                    case "-h", "--help" -> {
                        usage();
                        return 0;
                    }
                    default -> {
                        if (answerFile == null) answerFile = Path.of(args[i]);
                        else if (resourceFile == null) resourceFile = Path.of(args[i]);
                        else throw new IllegalArgumentException("unexpected argument " + args[i]);
                    }
                }
            }
            if (rpc == null || registry == null || chainId == null || answerFile == null) {
                usage();
                return 2;
            }
        } catch (RuntimeException e) {
            System.err.println("verify: " + e.getMessage());
            usage();
            return 2;
        }
        try {
            VerifyOutput answer = VerifyOutput.parse(Files.readAllBytes(answerFile));
            byte[] plaintext = resourceFile == null ? null : Files.readAllBytes(resourceFile);
            StandaloneVerifier.Report report;
            try (AnchorChain chain =
                    Web3jAnchorChain.connect(Web3jAnchorChain.Config.readOnly(rpc, chainId, registry), null)) {
                report = StandaloneVerifier.verify(answer, plaintext, chain);
            }
            for (StandaloneVerifier.Check c : report.checks()) {
                System.out.println((c.passed() ? "OK    " : "FAIL  ") + c.name() + ": " + c.detail());
            }
            if (plaintext == null) {
                System.out.println("(no resource given: the content hash was not recomputed)");
            }
            System.out.println(report.verified() ? "VERIFIED against the public chain" : "NOT VERIFIED");
            return report.verified() ? 0 : 1;
        } catch (IOException e) {
            System.err.println("verify: cannot read " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            System.err.println("verify: " + e.getMessage());
            System.out.println("NOT VERIFIED");
            return 1;
        }
    }

    private static void usage() {
        System.err.println(
                "usage: bin/verify --rpc PUBLIC_RPC_URL --chain-id PUBLIC_CHAIN_ID --registry ANCHOR_REGISTRY "
                        + "VERIFY_ANSWER.json [RESOURCE.json]");
    }
}
