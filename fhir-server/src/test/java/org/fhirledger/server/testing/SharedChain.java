package org.fhirledger.server.testing;

import org.fhirledger.testing.AnvilExtension;

/** One automining anvil (gas price and base fee 0) for the whole test JVM, stopped when the JVM exits. */
public final class SharedChain {

    private static AnvilExtension anvil;

    private SharedChain() {}

    public static synchronized AnvilExtension anvil() {
        if (anvil == null) {
            AnvilExtension a = AnvilExtension.automine();
            a.start();
            Runtime.getRuntime().addShutdownHook(new Thread(a::shutdown, "shared-anvil-stop"));
            anvil = a;
        }
        return anvil;
    }
}
