// The directory as the API holds it: Practitioners, and where each works (PractitionerRole → Organization).
import { humanName } from './fhir-text.js';

/** The name of a PractitionerRole's organization: the included Organization's name, else the reference's display. */
function organizationName(role, organizations) {
  const ref = role.organization || {};
  const org = ref.reference && organizations.get(ref.reference.replace(/^.*\/(Organization\/[^/]+)$/, '$1'));
  return (org && org.name) || ref.display || '';
}

/**
 * Practitioners and a map from `Practitioner/id` to the institutions they work at (their active PractitionerRoles'
 * organizations). A directory that cannot be read leaves the map empty: the page still names the people.
 */
export async function loadDirectory(api, { practitioners = true, name = '' } = {}) {
  const q = new URLSearchParams({ _count: '100' });
  if (name) q.set('name', name);
  const [ps, roles] = await Promise.all([
    practitioners ? api.search(`Practitioner?${q}`, 500) : Promise.resolve([]),
    api.search('PractitionerRole?_include=PractitionerRole:organization&_count=100', 1000).catch(() => []),
  ]);
  const organizations = new Map(roles.filter((r) => r.resourceType === 'Organization').map((o) => [`Organization/${o.id}`, o]));
  const institutions = new Map();
  for (const role of roles) {
    if (role.resourceType !== 'PractitionerRole' || role.active === false || !role.practitioner) continue;
    const who = (role.practitioner.reference || '').replace(/^.*\/(Practitioner\/[^/]+)$/, '$1');
    const name = organizationName(role, organizations);
    if (!who || !name) continue;
    institutions.set(who, [...new Set([...(institutions.get(who) || []), name])]);
  }
  return { practitioners: ps, institutionOf: (ref) => (institutions.get(ref) || []).join(', ') };
}

/** "Dr Name (id), Hospital" for a choice list. */
export function practitionerLabel(p, directory) {
  const where = directory.institutionOf(`Practitioner/${p.id}`);
  return `${humanName(p)} (${p.id})${where ? `, ${where}` : ''}`;
}

/** This server's institution as the consortium's directory names it ($institutions, `self`), or null. */
export async function thisInstitution(api) {
  try {
    const answer = await api.get('$institutions');
    const self = (answer.parameter || []).filter((p) => p.name === 'member').map((p) => Object.fromEntries(
      (p.part || []).map((x) => [x.name, x.valueString ?? x.valueUri ?? x.valueBoolean])))
      .find((m) => m.self === true);
    return self ? self.organization : null;
  } catch {
    return null; // no consortium directory: the events still say who and their role
  }
}
