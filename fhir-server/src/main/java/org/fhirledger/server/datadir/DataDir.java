package org.fhirledger.server.datadir;

import java.nio.file.Path;

/**
 * The server's data directory ({@code data-dir}, environment {@code DATA_DIR}), absolute and normalised: one bean
 * for every feature that keeps files there (keys, content, chain and dev-issuer files, the token settings).
 */
public record DataDir(Path path) {

    public DataDir {
        path = path.toAbsolutePath().normalize();
    }

    /** A file or directory in it. */
    public Path resolve(String name) {
        return path.resolve(name);
    }
}
