package org.fhirledger.server.fhir;

import ca.uhn.fhir.jpa.config.HibernatePropertiesProvider;
import org.hibernate.dialect.Dialect;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

/** Tells HAPI which dialect the entity manager was actually built with (HAPI tunes SQL per dialect). */
class ConfiguredHibernatePropertiesProvider extends HibernatePropertiesProvider {

    private final LocalContainerEntityManagerFactoryBean emf;
    private Dialect dialect;

    ConfiguredHibernatePropertiesProvider(LocalContainerEntityManagerFactoryBean emf) {
        this.emf = emf;
    }

    @Override
    public Dialect getDialect() {
        if (dialect == null) {
            String name = (String) emf.getJpaPropertyMap().get("hibernate.dialect");
            try {
                dialect = (Dialect) Class.forName(name).getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("Cannot instantiate Hibernate dialect " + name, e);
            }
        }
        return dialect;
    }
}
