package org.fhirledger.ledger.web3j;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

/**
 * For {@link ChainGrowthBenchmark}: where the bytes of an {@code anvil_dumpState} go. Streams the gzip'd JSON and
 * sums the serialised size of each top-level part (accounts, blocks, transactions, ...) and, inside the blocks and
 * the transactions, of each field over all elements, with the element counts.
 */
final class DumpParts {
    private DumpParts() {}

    static String of(String hexDump) throws IOException {
        byte[] gz = HexFormat.of().parseHex(hexDump.startsWith("0x") ? hexDump.substring(2) : hexDump);
        Map<String, Long> sizes = new TreeMap<>();
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz));
                JsonParser p = new JsonFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return "not an object";
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String part = p.currentName();
                JsonToken t = p.nextToken();
                long start = p.currentTokenLocation().getByteOffset();
                if (t == JsonToken.START_ARRAY && (part.equals("blocks") || part.equals("transactions"))) {
                    long count = 0;
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        count++;
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String field = part + "." + p.currentName();
                            p.nextToken();
                            long fs = p.currentTokenLocation().getByteOffset();
                            p.skipChildren();
                            sizes.merge(field, p.currentLocation().getByteOffset() - fs, Long::sum);
                        }
                    }
                    sizes.put(part + " (count)", count);
                } else {
                    p.skipChildren();
                }
                sizes.merge(part, p.currentLocation().getByteOffset() - start, Long::sum);
            }
        }
        return sizes.toString();
    }
}
