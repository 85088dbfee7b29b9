package org.fhirledger.server.fhir;

import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.IDaoRegistry;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.api.model.HistoryCountModeEnum;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.config.HibernatePropertiesProvider;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.config.util.ResourceCountCacheUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.provider.DaoRegistryResourceSupportedSvc;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.jpa.search.IStaleSearchDeletingSvc;
import ca.uhn.fhir.jpa.search.StaleSearchDeletingSvcImpl;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.jpa.util.ResourceCountCache;
import ca.uhn.fhir.rest.api.IResourceSupportedSvc;
import jakarta.persistence.EntityManagerFactory;
import java.util.Properties;
import javax.sql.DataSource;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import org.springframework.transaction.annotation.EnableTransactionManagement;

/**
 * HAPI FHIR JPA storage for R4 on whatever DataSource Spring Boot configured (H2 file by default,
 * PostgreSQL through the standard {@code spring.datasource.*} settings).
 */
@Configuration
@EnableTransactionManagement
@EnableConfigurationProperties({FhirProperties.class, DatabaseProperties.class})
// Batch2 runs HAPI's background jobs (reindexing after a SearchParameter change, deferred terminology storage);
// its job state is in the database, and SubscriptionChannelConfig gives it an in-JVM channel to signal work.
@Import({
    JpaR4Config.class,
    ThreadPoolFactoryConfig.class,
    JpaBatch2Config.class,
    Batch2JobsConfig.class,
    SubscriptionChannelConfig.class
})
public class FhirJpaConfig {

    @Bean
    public JpaStorageSettings jpaStorageSettings(FhirProperties fhir) {
        JpaStorageSettings settings = new JpaStorageSettings();
        settings.setEnforceReferentialIntegrityOnWrite(fhir.enforceReferentialIntegrity());
        settings.setEnforceReferentialIntegrityOnDelete(fhir.enforceReferentialIntegrity());
        settings.setAllowExternalReferences(fhir.allowExternalReferences());
        settings.setExpungeEnabled(fhir.expungeEnabled());
        settings.setDeleteExpungeEnabled(false);
        settings.setAllowMultipleDelete(false);
        settings.setFetchSizeDefaultMaximum(fhir.maxPageSize());
        // HAPI reuses an identical query's results for 60 s by default, so a client could update and then read
        // stale history; reuse only when configured.
        settings.setReuseCachedSearchResultsForMillis(
                fhir.searchResultReuse().isZero()
                        ? null
                        : fhir.searchResultReuse().toMillis());
        // HAPI's default caches an instance's history count for a minute and cuts the page to it, so a version
        // written meanwhile (a delete, say) would be missing from _history. Count each time instead.
        settings.setHistoryCountMode(HistoryCountModeEnum.COUNT_ACCURATE);
        // Placeholder targets would let a typo in a reference silently create an empty resource.
        settings.setAutoCreatePlaceholderReferenceTargets(false);
        // No Hibernate Search / Lucene: searches run on the relational indexes HAPI maintains.
        settings.setAdvancedHSearchIndexing(false);
        // HAPI 8 also records every search-parameter hash it meets in HFJ_SPIDX_IDENTITY (for people reading the
        // index tables; no search reads it), each new one in a transaction of its own on a background thread: a
        // fresh database pays for hundreds of them (that thread took 6 % of the whole test suite's CPU).
        settings.setWriteToSearchParamIdentityTable(false);
        return settings;
    }

    /**
     * A Provenance's targets keep their versions (HAPI's parser strips versions from references but at a few paths):
     * the Provenance of an imported copy names the very version it describes (docs/exchange.md).
     */
    @Bean
    public static BeanPostProcessor versionedProvenanceTargets() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String name) {
                if (bean instanceof FhirContext ctx) {
                    java.util.Set<String> paths =
                            new java.util.HashSet<>(ctx.getParserOptions().getDontStripVersionsFromReferencesAtPaths());
                    paths.add("Provenance.target");
                    ctx.getParserOptions().setDontStripVersionsFromReferencesAtPaths(paths);
                }
                return bean;
            }
        };
    }

    /** Durable commits on H2 ({@link H2DurableCommits}). */
    @Bean
    public static BeanPostProcessor h2DurableCommits() {
        return new H2DurableCommits();
    }

    /** An embedded H2 database a thread interrupt cannot close ({@link H2InterruptSafeFiles}). */
    @Bean
    public static BeanPostProcessor h2InterruptSafeFiles() {
        return new H2InterruptSafeFiles();
    }

    /** The background jobs' locks and the audit log's commits, outside the request pool ({@link BackgroundConnections}). */
    @Bean(destroyMethod = "close")
    public BackgroundConnections backgroundConnections(DataSource dataSource, DatabaseProperties database) {
        return BackgroundConnections.beside(dataSource, database.backgroundPoolSize());
    }

    @Bean
    public PartitionSettings partitionSettings() {
        return new PartitionSettings();
    }

    @Bean
    public SubscriptionSettings subscriptionSettings() {
        return new SubscriptionSettings();
    }

    @Primary
    @Bean
    public LocalContainerEntityManagerFactoryBean entityManagerFactory(
            DataSource dataSource,
            ConfigurableListableBeanFactory beanFactory,
            FhirContext fhirContext,
            JpaStorageSettings storageSettings,
            DatabaseProperties database) {
        LocalContainerEntityManagerFactoryBean factory =
                HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings);
        factory.setPersistenceUnitName("HAPI_PU");
        factory.setDataSource(dataSource);
        factory.setJpaProperties(hibernateProperties(dataSource, database));
        return factory;
    }

    private static Properties hibernateProperties(DataSource dataSource, DatabaseProperties database) {
        Properties p = new Properties();
        p.put("hibernate.dialect", database.dialectFor(dataSource));
        p.put("hibernate.hbm2ddl.auto", database.schemaUpdate());
        p.put("hibernate.search.enabled", "false");
        p.put("hibernate.format_sql", "false");
        p.put("hibernate.show_sql", "false");
        p.put("hibernate.jdbc.batch_size", "20");
        p.put("hibernate.order_inserts", "true");
        p.put("hibernate.order_updates", "true");
        p.put("hibernate.cache.use_query_cache", "false");
        p.put("hibernate.cache.use_second_level_cache", "false");
        p.put("hibernate.cache.use_minimal_puts", "false");
        return p;
    }

    @Primary
    @Bean
    public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
        return new JpaTransactionManager(entityManagerFactory);
    }

    @Primary
    @Bean
    public HibernatePropertiesProvider hibernatePropertiesProvider(LocalContainerEntityManagerFactoryBean emf) {
        return new ConfiguredHibernatePropertiesProvider(emf);
    }

    @Bean
    public IStaleSearchDeletingSvc staleSearchDeletingSvc() {
        return new StaleSearchDeletingSvcImpl();
    }

    @Bean
    public DatabaseBackedPagingProvider databaseBackedPagingProvider(FhirProperties fhir) {
        DatabaseBackedPagingProvider paging = new DatabaseBackedPagingProvider();
        paging.setDefaultPageSize(fhir.defaultPageSize());
        paging.setMaximumPageSize(fhir.maxPageSize());
        return paging;
    }

    @Bean
    public IResourceSupportedSvc resourceSupportedSvc(IDaoRegistry daoRegistry) {
        return new DaoRegistryResourceSupportedSvc(daoRegistry);
    }

    @Bean(name = "myResourceCountsCache")
    public ResourceCountCache resourceCountsCache(IFhirSystemDao<?, ?> systemDao) {
        return ResourceCountCacheUtil.newResourceCountCache(systemDao);
    }
}
