package org.fhirledger.server.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/** For tests outside this package: a dev token for the server using {@code dataDir}, minted as bin/dev-token does. */
public final class DevTokens {

	private DevTokens() {}

	public static String mint(Path dataDir, Role role, String fhirUser) {
		try {
			SecurityProperties settings = TokenSettingsFile.read(dataDir);
			return new DevTokenMinter(DevIssuer.load(dataDir), settings)
					.mint(role, fhirUser, Duration.ofHours(1), Instant.now())
					.token();
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
