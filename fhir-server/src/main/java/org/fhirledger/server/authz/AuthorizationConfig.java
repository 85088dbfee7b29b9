package org.fhirledger.server.authz;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.MatchUrlService;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.fhirledger.ledger.ConsentLedger;
import org.fhirledger.ledger.DirectoryLedger;
import org.fhirledger.ledger.InstitutionDirectory;
import org.fhirledger.ledger.Ledger;
import org.fhirledger.server.pseudonym.Pseudonyms;
import org.fhirledger.server.record.PatientLinks;
import org.fhirledger.server.security.CallerAccessor;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.orm.jpa.SharedEntityManagerCreator;

/**
 * Authorisation from the chain, registered on the FHIR servlet (so it sees every REST request, its sub-requests and
 * the storage it causes; first, see {@link org.fhirledger.server.fhir.InterceptorOrder}) — except the Consent
 * mirror, registered with HAPI's global interceptor service because the server's own Consents (a registering
 * clinician's) must reach the chain too.
 * With authorization.enabled=false (benchmarks of plain HAPI only) none of this runs.
 */
@Configuration
@EnableConfigurationProperties(AuthorizationProperties.class)
@ConditionalOnProperty(name = "authorization.enabled", havingValue = "true", matchIfMissing = true)
public class AuthorizationConfig {

    private final Clock clock = Clock.systemUTC();

    @Bean(destroyMethod = "close")
    public ChainAuthority chainAuthority(
            ObjectProvider<Ledger> ledger, Pseudonyms pseudonyms, AuthorizationProperties settings) {
        Ledger l = ledger.getIfAvailable();
        if (l == null) {
            throw new IllegalStateException("authorization.enabled=true decides access from the chain, but "
                    + "ledger.enabled=false: enable the ledger (bin/run does), or set authorization.enabled=false "
                    + "(no access control at all: benchmarks only)");
        }
        return new ChainAuthority(l, pseudonyms, settings, clock);
    }

    @Bean
    public Compartments compartments(
            FhirContext ctx, DaoRegistry daos, EntityManagerFactory entities, AuthorizationProperties settings) {
        EntityManager session = SharedEntityManagerCreator.createSharedEntityManager(entities);
        return new Compartments(
                ctx,
                new PatientLinks(ctx),
                new Compartments.Lookup() {
                    @Override
                    public Optional<IBaseResource> read(String type, String id) {
                        try {
                            return Optional.of(
                                    daos.getResourceDao(type).read(new IdType(type, id), new SystemRequestDetails()));
                        } catch (BaseServerResponseException | IllegalArgumentException e) {
                            return Optional
                                    .empty(); // absent, deleted or not a valid id: the caller treats it as unknown
                        }
                    }

                    @Override
                    public Set<String> patientsWithIdentifier(String system, String value) {
                        SearchParameterMap map =
                                SearchParameterMap.newSynchronous(Patient.SP_IDENTIFIER, new TokenParam(system, value));
                        Set<String> ids = new LinkedHashSet<>();
                        for (IBaseResource p : daos.getResourceDao("Patient")
                                .search(map, new SystemRequestDetails())
                                .getResources(0, IDENTIFIER_MATCHES)) {
                            ids.add(p.getIdElement().getIdPart());
                        }
                        return ids;
                    }

                    @Override
                    public Optional<String> currentVersion(String type, String id) {
                        // HAPI's current-version row by its (RES_TYPE, FHIR_ID) index: no history row, no parsing.
                        // A query of the entity, not of the table: the session flushes the request's own pending
                        // changes to it first, so a write sees what its transaction changed, as a read would.
                        List<Object[]> rows = session.createQuery(
                                        "select r.myVersion, r.myUpdated from ResourceTable r"
                                                + " where r.myResourceType = :type and r.myFhirId = :id"
                                                + " and r.myDeleted is null",
                                        Object[].class)
                                .setParameter("type", type)
                                .setParameter("id", id)
                                .getResultList();
                        if (rows.size() != 1) return Optional.empty();
                        Object[] row = rows.get(0);
                        return Optional.of(row[0] + "@" + ((java.util.Date) row[1]).getTime());
                    }
                },
                settings.ownershipCacheSize());
    }

    /** More Patients with one identifier than this is a data error; those found still all own the resource. */
    private static final int IDENTIFIER_MATCHES = 100;

    @Bean
    public BreakGlassWindows breakGlassWindows(
            JdbcTemplate jdbc, Pseudonyms pseudonyms, AuthorizationProperties settings) {
        return new BreakGlassWindows(jdbc, pseudonyms, clock, settings.breakGlassDuration());
    }

    @Bean
    public AccessPolicy accessPolicy(
            FhirContext ctx, Compartments compartments, ChainAuthority chain, BreakGlassWindows breakGlass) {
        return new AccessPolicy(ctx, compartments, chain, breakGlass);
    }

    @Bean
    public AuthorizationInterceptor authorizationInterceptor(
            RestfulServer server,
            CallerAccessor callers,
            ChainAuthority chain,
            AccessPolicy policy,
            DaoRegistry daos,
            FhirContext ctx,
            Ledger ledger,
            Pseudonyms pseudonyms,
            BreakGlassWindows breakGlass,
            AuthorizationProperties settings,
            IInterceptorService global,
            MatchUrlService matchUrls,
            JdbcTemplate jdbc,
            RoleChanges roleChanges,
            ConsentedPatients listed,
            ObjectProvider<InstitutionDirectory> directory,
            ObjectProvider<ConsentChangeListener> changeListeners) {
        OperationRules rules = new OperationRules(policy);
        InstanceAccess instances = new InstanceAccess(policy, id -> {
            try {
                return Optional.of(
                        daos.getResourceDao(id.getResourceType()).read(id.toVersionless(), new SystemRequestDetails()));
            } catch (ResourceNotFoundException | ResourceGoneException | IllegalArgumentException e) {
                return Optional.empty();
            }
        });
        AuthorizationInterceptor authz = new AuthorizationInterceptor(
                callers,
                chain,
                policy,
                rules,
                instances,
                conditionalCriteria(ctx, policy, daos, matchUrls, listed),
                new SearchReaders(jdbc, clock),
                ctx);
        server.registerInterceptor(authz);
        server.registerInterceptor(new RetryAfter(settings.retryAfter()));
        server.registerInterceptor(new CreatorConsent(daos, settings.creatorConsentDuration(), clock));
        global.registerInterceptor(new ConsentMirror(
                ledger,
                chain,
                pseudonyms,
                clock,
                listed,
                new ConsentActors(ledger, ledger.account(), directory::getIfAvailable),
                () -> changeListeners.orderedStream().toList()));
        server.registerProvider(new RoleAdminProvider(ledger, chain, pseudonyms, roleChanges));
        server.registerProvider(new BreakGlassProvider(breakGlass, daos, listed));
        return authz;
    }

    private static ConditionalCriteria conditionalCriteria(
            FhirContext ctx,
            AccessPolicy policy,
            DaoRegistry daos,
            MatchUrlService matchUrls,
            ConsentedPatients listed) {
        return new ConditionalCriteria(ctx, new OperationRules(policy), policy, daos, matchUrls, listed);
    }

    /** Each clinician's listed patients (consents granted, break-glass windows opened), for "my patients". */
    @Bean
    ConsentedPatients consentedPatients(JdbcTemplate jdbc) {
        return new ConsentedPatients(jdbc);
    }

    /** Lists the patients of the consents granted before the list existed (a data directory from before it). */
    @Bean
    ConsentedPatientsBackfill consentedPatientsBackfill(
            ConsentedPatients listed, ObjectProvider<DaoRegistry> daos, ObjectProvider<ChainAuthority> chain) {
        return new ConsentedPatientsBackfill(listed, daos, chain);
    }

    @Bean
    public VisiblePatients visiblePatients(
            ChainAuthority chain,
            AccessPolicy policy,
            DaoRegistry daos,
            FhirContext ctx,
            MatchUrlService matchUrls,
            ConsentedPatients listed) {
        return new VisiblePatients(chain, policy, conditionalCriteria(ctx, policy, daos, matchUrls, listed), daos);
    }

    /**
     * Sends the database's consents again when the private chain lost blocks (told by the embedded chain, at start-up
     * too, and on the operator's acceptance of a rewritten chain): the Consent mirror writes past the outbox.
     */
    @Bean(destroyMethod = "close")
    public ConsentResync consentResync(
            ObjectProvider<DaoRegistry> daos,
            ObjectProvider<JdbcTemplate> jdbc,
            ObjectProvider<ConsentLedger> ledger,
            ObjectProvider<ChainAuthority> chain,
            ObjectProvider<Pseudonyms> pseudonyms,
            ObjectProvider<ConsentedPatients> listed) {
        return new ConsentResync(daos, jdbc, ledger, chain, pseudonyms, listed, clock);
    }

    @Bean
    public RoleChanges roleChanges(JdbcTemplate jdbc) {
        return new RoleChanges(jdbc, clock);
    }

    /** Sends the server's role changes again when the private chain lost blocks: $assign-role writes past the outbox. */
    @Bean(destroyMethod = "close")
    public RoleResync roleResync(
            ObjectProvider<RoleChanges> changes,
            ObjectProvider<DirectoryLedger> ledger,
            ObjectProvider<ChainAuthority> chain) {
        return new RoleResync(changes, ledger, chain);
    }
}
