package org.fhirledger.server.scrub;

import javax.sql.DataSource;
import org.fhirledger.content.ContentStore;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The content scrub (with {@code ledger.enabled=true}, where the write pipeline owns a content store): the check
 * {@code $verify} uses, the background scrub and its "contentScrub" health indicator. See docs/content-store.md.
 */
@Configuration
@ConditionalOnProperty(name = "ledger.enabled", havingValue = "true")
@EnableConfigurationProperties(ContentScrubProperties.class)
public class ContentScrubConfig {

    @Bean
    public ContentCheck contentCheck(ContentStore contentStore) {
        return new ContentCheck(contentStore);
    }

    @Bean
    public ContentScrubber contentScrubber(
            DataSource dataSource, ContentCheck contentCheck, ContentScrubProperties settings) {
        return new ContentScrubber(new StoredEnvelopes(dataSource), contentCheck, settings);
    }

    @Bean
    public ContentScrubHealthIndicator contentScrubHealthIndicator(ContentScrubber contentScrubber) {
        return new ContentScrubHealthIndicator(contentScrubber);
    }
}
