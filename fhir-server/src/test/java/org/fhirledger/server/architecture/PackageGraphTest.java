package org.fhirledger.server.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shape of the server's code (docs/architecture.md): its feature packages form no cycle, and only the wiring
 * reaches the concrete adapters (the web3j ledger and anchor chain, the web3j client itself, the Kubo and local
 * content stores); everything else talks to their ports.
 */
class PackageGraphTest {

    private static final String SERVER = "org.fhirledger.server";

    /**
     * Where adapters may be named: the ledger wiring, the dev-only identity tools (they talk to the local chain
     * themselves) and the deployment key tool.
     */
    private static final String[] WIRING_PACKAGES = {SERVER + ".ledger..", SERVER + ".dev..", SERVER + ".deployment.."};

    /** Spring configs and start-up bootstraps are wiring wherever their feature lives. */
    private static final Set<String> WIRING_SUFFIXES = Set.of("Config", "Bootstrap");

    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(SERVER);
    }

    @Test
    void featurePackagesFormNoCycle() {
        slices().matching(SERVER + ".(*)..").should().beFreeOfCycles().check(main);
    }

    @Test
    void onlyTheWiringNamesAnAdapter() {
        adapterRule().check(main);
    }

    static ArchRule adapterRule() {
        return noClasses()
                .that()
                .resideInAPackage(SERVER + "..")
                .and()
                .resideOutsideOfPackages(WIRING_PACKAGES)
                .and(isNot(wiringClass()))
                .should()
                .dependOnClassesThat(adapter())
                .because(
                        "the FHIR layer talks to ports (Ledger, AnchorChain, ContentStore); only the wiring picks the adapter");
    }

    /**
     * The adapters: the web3j packages of the ledger and anchor adapters, the web3j client (its key, hash and
     * address helpers in crypto and utils are plain functions, not a connection), and the concrete content stores.
     * The flat names (Web3jLedger, Web3jAnchorChain) are listed too, so the rule holds whichever package they are in.
     */
    private static DescribedPredicate<JavaClass> adapter() {
        Set<String> concrete = Set.of("Web3jLedger", "Web3jAnchorChain", "KuboContentStore", "LocalContentStore");
        return DescribedPredicate.describe("are adapters", c -> {
            String pkg = c.getPackageName();
            if (pkg.startsWith("org.fhirledger.ledger.web3j") || pkg.startsWith("org.fhirledger.anchor.web3j"))
                return true;
            if (pkg.startsWith("org.web3j.")
                    && !pkg.startsWith("org.web3j.crypto")
                    && !pkg.startsWith("org.web3j.utils")) {
                return true;
            }
            return pkg.startsWith("org.fhirledger.") && concrete.contains(c.getSimpleName());
        });
    }

    private static DescribedPredicate<JavaClass> wiringClass() {
        return DescribedPredicate.describe("wiring", c -> {
            String top = c.getName().contains("$")
                    ? c.getName().substring(0, c.getName().indexOf('$'))
                    : c.getName();
            String simple = top.substring(top.lastIndexOf('.') + 1);
            return WIRING_SUFFIXES.stream().anyMatch(simple::endsWith);
        });
    }

    private static DescribedPredicate<JavaClass> isNot(DescribedPredicate<JavaClass> p) {
        return DescribedPredicate.not(p);
    }
}
