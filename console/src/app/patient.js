// A patient's pages: their details, their records, who accessed them, and their consents.
import { h, show, section, table, dl, field, form, notice, errorBox } from './ui.js';
import { humanName, concept, date, when, summary, contact, address } from './fhir-text.js';
import { timelineEntry, who } from './audit.js';
import { proofSection } from './proof.js';
import { loadDirectory, practitionerLabel, thisInstitution } from './directory.js';

const LOINC = 'http://loinc.org';
const CONSENT_SCOPE = 'http://terminology.hl7.org/CodeSystem/consentscope';
const CONSENT_ACTION = 'http://terminology.hl7.org/CodeSystem/consentaction';
const RESOURCE_TYPES = 'http://hl7.org/fhir/resource-types';
export const GRANTABLE_TYPES = ['Patient', 'Observation', 'DiagnosticReport', 'Condition', 'DocumentReference',
  'MedicationRequest', 'AllergyIntolerance', 'Procedure', 'Encounter', 'Immunization'];

export function detailsSection(api, pid, title = 'Details') {
  return section(title, async () => {
    const p = await api.get(`Patient/${encodeURIComponent(pid)}`);
    let blood = '';
    try {
      const groups = await api.search(`Observation?patient=${encodeURIComponent(pid)}&code=${encodeURIComponent(`${LOINC}|882-1`)}&_sort=-date`, 1);
      if (groups.length) blood = summary(groups[0]);
    } catch {
      blood = ''; // not recorded, or not readable by this user: the details stand without it
    }
    return dl([
      ['Name', h('span', { id: 'patient-name' }, humanName(p))], ['Date of birth', p.birthDate], ['Gender', p.gender],
      ['Contact', contact(p)], ['Address', address(p)],
      ['Identifiers', (p.identifier || []).map((i) => i.value).join(', ')], ['Blood group', blood],
      ['Record', `Patient/${p.id}`],
    ]);
  });
}

const RECORD_KINDS = [
  ['Reports', 'DiagnosticReport'],
  ['Observations', 'Observation'],
  ['Conditions', 'Condition'],
  ['Notes and documents', 'DocumentReference'],
];

export function recordsSections(api, pid) {
  return RECORD_KINDS.map(([title, type]) => section(title, async () => {
    const rs = await api.search(`${type}?patient=${encodeURIComponent(pid)}&_count=50`, 100);
    rs.sort((a, b) => String(when(b)).localeCompare(String(when(a))));
    return table(['Date', 'What', 'Result', 'Status', 'Record'], rs.map((r) => [
      date(when(r)), concept(r.code || r.type) || r.resourceType, summary(r), r.status || '', `${r.resourceType}/${r.id}`,
    ]), `No ${title.toLowerCase()}.`);
  }));
}

function accessTimeline(api, pid) {
  return section('Timeline', async () => {
    const [events, directory, recorder] = await Promise.all([
      api.search(`AuditEvent?patient=${encodeURIComponent(`Patient/${pid}`)}&_sort=-date&_count=100`, 300),
      loadDirectory(api, { practitioners: false }).catch(() => null),
      thisInstitution(api)]);
    const others = events.filter((ae) => who(ae) !== `Patient/${pid}`);
    const list = h('ol', { class: 'timeline', id: 'access-timeline' });
    const mine = h('input', { type: 'checkbox', id: 'show-mine' });
    const fill = () => {
      const shown = mine.checked ? events : others;
      list.replaceChildren(...(shown.length ? shown.map((ae) => timelineEntry(api, ae, directory)) : [h('li', {}, 'Nobody else has accessed your record.')]));
    };
    mine.addEventListener('change', fill);
    fill();
    return [
      h('p', {}, 'Every access to your record by others, allowed or refused, newest first: who, their role and where they work. "Check proof" asks the ledger whether the entry is on chain and anchored on the public chain.'),
      recorder ? h('p', { id: 'recorded-by' }, `Recorded by the server of ${recorder}.`) : null,
      h('label', { class: 'inline' }, mine, ` Also show my own actions (${events.length - others.length})`),
      list,
    ];
  });
}

function consentRow(api, c, reload) {
  const prov = c.provision || {};
  const actors = (prov.actor || []).map((a) => (a.reference && (a.reference.display || a.reference.reference)) || '').join(', ');
  const actions = (prov.action || []).flatMap((a) => (a.coding || []).map((x) => x.code));
  const write = actions.some((a) => a === 'correct' || a === 'collect');
  const types = (prov.class || []).map((x) => x.code).join(', ') || 'all';
  const revoke = h('button', {
    type: 'button', class: 'danger', 'aria-label': `Revoke the access of ${actors}`,
    onclick: async () => {
      revoke.disabled = true;
      try {
        await api.put(`Consent/${c.id}`, { ...c, status: 'inactive' });
        reload(notice(`Revoked: ${actors} no longer has access.`));
      } catch (e) {
        reload(null, e);
      }
    },
  }, 'Revoke');
  return [actors, write ? 'read and write' : 'read', types, prov.period && prov.period.end ? date(prov.period.end) : 'until revoked',
    (c.policy || []).some((p) => (p.uri || '').includes('registering-clinician')) ? 'registered you' : 'you', revoke];
}

function consentsPage(ctx) {
  const { api, patientId: pid } = ctx;
  const list = h('div', { id: 'consent-list', 'aria-live': 'polite' });
  // an older load (the page's first, or one before a grant) may answer after a newer one: only the newest shows
  let latest = 0;
  const reload = async (message, error) => {
    const mine = ++latest;
    list.replaceChildren(h('p', {}, 'Loading…'));
    let shown;
    try {
      const consents = await api.search(`Consent?patient=${encodeURIComponent(`Patient/${pid}`)}&status=active&_count=100`, 200);
      shown = [message, error && errorBox(error),
        table(['Who', 'Access', 'Record types', 'Until', 'Given by', ''], consents.map((c) => consentRow(api, c, reload)),
          'No active consents: only you can see your record.')].filter(Boolean);
    } catch (e) {
      shown = [errorBox(e)];
    }
    if (mine === latest) list.replaceChildren(...shown);
  };
  reload();
  const directory = h('select', { name: 'practitioner', required: true, id: 'grant-practitioner' }, h('option', { value: '' }, 'Loading the directory…'));
  loadDirectory(api).then((d) => directory.replaceChildren(h('option', { value: '' }, 'Choose a clinician'),
    ...d.practitioners.map((p) => h('option', { value: `Practitioner/${p.id}` }, practitionerLabel(p, d)))))
    .catch((e) => directory.replaceChildren(h('option', { value: '' }, `Directory unavailable: ${e.message}`)));
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  const grant = form({ 'aria-label': 'Grant access', id: 'grant-form' }, [
    field('Clinician', directory),
    h('fieldset', {}, h('legend', {}, 'Access'),
      h('label', {}, h('input', { type: 'radio', name: 'access', value: 'read', checked: true }), 'Read'),
      h('label', {}, h('input', { type: 'radio', name: 'access', value: 'write', id: 'access-write' }), 'Read and write')),
    h('fieldset', {}, h('legend', {}, 'Record types (none chosen: all)'),
      GRANTABLE_TYPES.map((t) => h('label', {}, h('input', { type: 'checkbox', name: 'type', value: t }), t))),
    field('Until (optional)', h('input', { type: 'date', name: 'end', min: tomorrow })),
  ], 'Grant access', async (data) => {
    const provision = {
      type: 'permit',
      actor: [{
        role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PRCP' }] },
        reference: { reference: data.get('practitioner') },
      }],
      action: [{ coding: [{ system: CONSENT_ACTION, code: 'access' }] }]
        .concat(data.get('access') === 'write' ? [{ coding: [{ system: CONSENT_ACTION, code: 'correct' }] }] : []),
    };
    const types = data.getAll('type');
    if (types.length) provision.class = types.map((code) => ({ system: RESOURCE_TYPES, code }));
    if (data.get('end')) provision.period = { end: `${data.get('end')}T23:59:59Z` };
    await api.post('Consent', {
      resourceType: 'Consent', status: 'active',
      scope: { coding: [{ system: CONSENT_SCOPE, code: 'patient-privacy' }] },
      category: [{ coding: [{ system: LOINC, code: '59284-0' }] }],
      patient: { reference: `Patient/${pid}` },
      dateTime: new Date().toISOString(),
      provision,
    });
    await reload(notice(`Granted: ${data.get('practitioner')} now has access (recorded on chain).`));
    return null;
  });
  show('My consents',
    h('p', {}, 'Who may see your record besides you. A grant or a revocation is recorded on the chain and takes effect within seconds.'),
    h('h2', {}, 'Active grants'), list,
    h('h2', {}, 'Grant a clinician access'), grant);
}

export function patientRoutes(ctx) {
  const { api, patientId: pid } = ctx;
  const noRecord = () => show('No patient record', (h('p', { class: 'error', role: 'alert' }, 'Your sign-in names no Patient record (fhirUser).')));
  const guard = (f) => (...a) => (pid ? f(...a) : noRecord());
  return {
    '': { label: 'Me', nav: true, render: guard(() => show('My details', detailsSection(api, pid, 'Details'),
      h('p', {}, h('a', { href: '#/records' }, 'My records'), ' · ', h('a', { href: '#/access' }, 'Who accessed my data'), ' · ', h('a', { href: '#/consents' }, 'My consents')))) },
    records: { label: 'My records', nav: true, render: guard(() => show('My records', recordsSections(api, pid))) },
    access: { label: 'Who accessed my data', nav: true, render: guard(() => show('Who accessed my data', accessTimeline(api, pid))) },
    consents: { label: 'My consents', nav: true, render: guard(() => consentsPage(ctx)) },
    proof: { label: 'Proof', render: (parts) => show('Proof', proofSection(api, parts.join('/'))) },
  };
}

