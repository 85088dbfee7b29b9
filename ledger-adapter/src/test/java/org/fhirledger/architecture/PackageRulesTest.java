package org.fhirledger.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module's package graph: ports (interfaces and value types) apart from the web3j adapters, and no cycle among
 * its packages. The server depends on the ports; only wiring code names an adapter.
 */
class PackageRulesTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                .importPackages("org.fhirledger");
    }

    @Test
    void noPackageCycles() {
        slices().matching("org.fhirledger.(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void web3jOnlyInAdapterPackages() {
        noClasses()
                .that()
                .resideOutsideOfPackages("org.fhirledger..web3j..", "org.fhirledger.contracts.generated..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.web3j..")
                .because("ports are plain interfaces and value types; web3j belongs to the adapters")
                .check(classes);
    }

    @Test
    void portsDoNotKnowTheirAdapters() {
        noClasses()
                .that()
                .resideOutsideOfPackages("org.fhirledger..web3j..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.fhirledger..web3j..")
                .check(classes);
    }
}
