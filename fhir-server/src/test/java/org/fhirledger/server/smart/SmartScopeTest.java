package org.fhirledger.server.smart;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.fhirledger.server.security.Caller;
import org.junit.jupiter.api.Test;

class SmartScopeTest {

    @Test
    void v2AndV1FormsAreRead() {
        assertThat(SmartScope.parse("patient/Observation.rs"))
                .hasValue(new SmartScope(SmartScope.Context.PATIENT, "Observation", Set.of('r', 's')));
        assertThat(SmartScope.parse("user/*.cruds").orElseThrow().permissions())
                .containsExactlyInAnyOrder('c', 'r', 'u', 'd', 's');
        assertThat(SmartScope.parse("system/*.read").orElseThrow().permissions())
                .containsExactlyInAnyOrder('r', 's');
        assertThat(SmartScope.parse("user/Observation.write").orElseThrow().permissions())
                .containsExactlyInAnyOrder('c', 'u', 'd');
        assertThat(SmartScope.parse("patient/*.*").orElseThrow().permissions()).hasSize(5);
    }

    @Test
    void whatIsNotAResourceScopeOrCannotBeHeldGrantsNothing() {
        for (String s : new String[] {
            "openid",
            "fhirUser",
            "launch/patient",
            "offline_access",
            "patient/*.sr",
            "patient/*.x",
            "patient/Observation.rs?category=laboratory",
            "other/*.rs",
            "patient/observation.rs"
        }) {
            assertThat(SmartScope.parse(s)).as(s).isEmpty();
        }
    }

    @Test
    void reachIsTheWidestGrantingScopeAndPatientScopesNeedAPatient() {
        Caller c = new Caller("s", "0x" + "1".repeat(40), null, Set.of("patient/*.rs", "user/Observation.r"), "p1");
        ScopeGrants g = ScopeGrants.of(c);
        assertThat(g.reach('r', "Observation")).isEqualTo(ScopeGrants.Reach.ALL);
        assertThat(g.reach('s', "Observation")).isEqualTo(ScopeGrants.Reach.PATIENT);
        assertThat(g.reach('c', "Observation")).isEqualTo(ScopeGrants.Reach.NONE);
        Caller noPatient = new Caller("s", "0x" + "1".repeat(40), null, Set.of("patient/*.rs"));
        assertThat(ScopeGrants.of(noPatient).reach('r', "Patient")).isEqualTo(ScopeGrants.Reach.NONE);
    }
}
