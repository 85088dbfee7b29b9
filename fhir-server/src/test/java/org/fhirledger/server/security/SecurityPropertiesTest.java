package org.fhirledger.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/** Start-up refuses security settings that cannot mean what the operator intended. */
class SecurityPropertiesTest {

    @Configuration
    @EnableConfigurationProperties(SecurityProperties.class)
    static class Bind {}

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withUserConfiguration(Bind.class);

    @Test
    void defaultsToDevModeWithStandardClaimNames() {
        runner.run(ctx -> {
            SecurityProperties p = ctx.getBean(SecurityProperties.class);
            assertThat(p.mode()).isEqualTo(SecurityMode.DEV);
            assertThat(p.ledgerAddressClaim()).isEqualTo("ledger_address");
            assertThat(p.fhirUserClaim()).isEqualTo("fhirUser");
            assertThat(p.audience()).isNull();
        });
    }

    @Test
    void productionWithoutAnIdpFailsStartupClearly() {
        runner.withPropertyValues("security.mode=production", "security.issuer-uri=", "security.jwk-set-uri= ")
                .run(ctx -> {
                    assertThat(ctx).hasFailed();
                    assertThat(org.springframework.core.NestedExceptionUtils.getMostSpecificCause(
                                    ctx.getStartupFailure()))
                            .hasMessageContaining("security.mode=production")
                            .hasMessageContaining("security.issuer-uri")
                            .hasMessageContaining("security.jwk-set-uri");
                });
    }

    @Test
    void productionWithEitherIdpSettingStarts() {
        runner.withPropertyValues("security.mode=production", "security.jwk-set-uri=https://idp.example/certs")
                .run(ctx -> assertThat(ctx).hasNotFailed());
        runner.withPropertyValues("security.mode=PRODUCTION", "security.issuer-uri=https://idp.example/realms/x")
                .run(ctx -> assertThat(ctx).hasNotFailed());
    }

    @Test
    void devModeRefusesIdpSettingsItWouldIgnore() {
        runner.withPropertyValues("security.issuer-uri=https://idp.example/realms/x")
                .run(ctx -> {
                    assertThat(ctx).hasFailed();
                    assertThat(org.springframework.core.NestedExceptionUtils.getMostSpecificCause(
                                    ctx.getStartupFailure()))
                            .hasMessageContaining("apply only with security.mode=production");
                });
    }

    @Test
    void unknownModeFails() {
        runner.withPropertyValues("security.mode=test")
                .run(ctx -> assertThat(ctx).hasFailed());
    }
}
