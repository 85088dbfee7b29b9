package org.fhirledger.server.outbox;

import ca.uhn.fhir.jpa.model.entity.TagTypeEnum;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.hl7.fhir.instance.model.api.IBaseCoding;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Coding;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * HAPI stores a tag or security label as a reference to a shared tag definition ({@code hfj_tag_def}), found by type,
 * system, code, version and userSelected, but not display (an empty system, version or userSelected matches any),
 * and created from the first coding that needs it. What it serves is the definition's display, version and
 * userSelected, which may differ from what the client sent (another resource created the definition first, with
 * another display), and codings that land on one definition are served once. So before storage each coding is given
 * the values of the definition HAPI will use, and the {@code StoredForm} drops the duplicates that leaves: the
 * hashed version is the version HAPI will serve.
 */
public class TagDefinitions {

    private final JdbcTemplate jdbc;

    public TagDefinitions(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    private record Def(String system, String code, String display, String version, Boolean userSelected) {}

    public void resolve(IBaseResource resource) {
        resolve(resource.getMeta().getTag(), TagTypeEnum.TAG);
        resolve(resource.getMeta().getSecurity(), TagTypeEnum.SECURITY_LABEL);
    }

    private void resolve(List<? extends IBaseCoding> codings, TagTypeEnum type) {
        List<Def> createdHere = new ArrayList<>();
        for (IBaseCoding c : codings) {
            if (!(c instanceof Coding coding) || coding.getCode() == null) continue;
            Boolean userSelected = coding.hasUserSelectedElement()
                    ? coding.getUserSelectedElement().getValue()
                    : null;
            Def def = stored(type, coding, userSelected);
            if (def == null)
                def = createdHere.stream()
                        .filter(d -> matches(d, coding, userSelected))
                        .findFirst()
                        .orElse(null);
            if (def == null) {
                createdHere.add(new Def(
                        coding.getSystem(), coding.getCode(), coding.getDisplay(), coding.getVersion(), userSelected));
                continue;
            }
            coding.setDisplay(def.display());
            coding.setVersion(def.version());
            if (def.userSelected() == null) coding.setUserSelectedElement(null);
            else coding.setUserSelected(def.userSelected());
        }
    }

    /** The definition HAPI's lookup returns (the oldest that matches), if any. */
    private Def stored(TagTypeEnum type, Coding coding, Boolean userSelected) {
        List<Def> defs = jdbc.query(
                "select tag_system, tag_code, tag_display, tag_version, tag_user_selected"
                        + " from hfj_tag_def where tag_type = ? and tag_code = ? order by tag_id",
                (rs, n) -> new Def(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), (Boolean)
                        rs.getObject(5, Boolean.class)),
                type.ordinal(),
                coding.getCode());
        return defs.stream()
                .filter(d -> matches(d, coding, userSelected))
                .findFirst()
                .orElse(null);
    }

    private static boolean matches(Def d, Coding c, Boolean userSelected) {
        return d.code().equals(c.getCode())
                && (c.getSystem() == null || c.getSystem().isEmpty() || Objects.equals(d.system(), c.getSystem()))
                && (c.getVersion() == null || c.getVersion().isEmpty() || Objects.equals(d.version(), c.getVersion()))
                && (userSelected == null || Objects.equals(d.userSelected(), userSelected));
    }
}
