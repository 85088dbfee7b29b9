// A clinician's pages: my patients, find a patient, a patient's record, a note, break-glass, the directory.
import { Api } from './api.js';
import { h, show, section, table, field, form, notice } from './ui.js';
import { humanName, contact, address } from './fhir-text.js';
import { detailsSection, recordsSections } from './patient.js';
import { proofSection } from './proof.js';
import { loadDirectory } from './directory.js';

function patientTable(patients, empty) {
  return table(['Name', 'Born', 'Gender', 'Record'], patients.map((p) => [
    h('a', { href: `#/patient/${encodeURIComponent(p.id)}` }, humanName(p)), p.birthDate || '', p.gender || '', `Patient/${p.id}`,
  ]), empty);
}

function notePanel(ctx, pid, refresh) {
  return form({ 'aria-label': 'Write a note or a report', id: 'note-form' }, [
    field('Kind', h('select', { name: 'kind' }, h('option', { value: 'note' }, 'Note (an Observation)'),
      h('option', { value: 'report' }, 'Report (a DiagnosticReport)'))),
    field('Title (a report\'s name, e.g. "Chest X-ray")', h('input', { name: 'title', maxlength: 200 })),
    field('Text (the note, or the report\'s conclusion)', h('textarea', { name: 'text', rows: 3, required: true, maxlength: 2000 })),
  ], 'Save', async (data) => {
    const now = new Date().toISOString();
    const subject = { reference: `Patient/${pid}` };
    const saved = data.get('kind') === 'report'
      ? await ctx.api.post('DiagnosticReport', {
        resourceType: 'DiagnosticReport', status: 'final', code: { text: data.get('title') || 'Report' }, subject,
        effectiveDateTime: now, issued: now, performer: ctx.fhirUser ? [{ reference: ctx.fhirUser }] : undefined,
        conclusion: data.get('text'),
      })
      : await ctx.api.post('Observation', {
        resourceType: 'Observation', status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'exam' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '34109-9', display: 'Note' }], text: data.get('title') || 'Clinical note' },
        subject, effectiveDateTime: now, performer: ctx.fhirUser ? [{ reference: ctx.fhirUser }] : undefined,
        valueString: data.get('text'),
      });
    refresh();
    return notice(`Saved as ${saved ? `${saved.resourceType}/${saved.id}` : 'a new record'}.`);
  });
}

/** A new patient: the server records the registering clinician's consent to treat them. */
function registerPanel(api) {
  return form({ 'aria-label': 'Register a patient', id: 'register-form' }, [
    field('Family name', h('input', { name: 'family', required: true })),
    field('Given name', h('input', { name: 'given' })),
    field('Date of birth', h('input', { name: 'birthDate', type: 'date' })),
    field('Gender', h('select', { name: 'gender' }, ['', 'female', 'male', 'other', 'unknown'].map((g) => h('option', { value: g }, g || 'not given')))),
    field('Record number (MRN)', h('input', { name: 'mrn' })),
  ], 'Register', async (data) => {
    const p = { resourceType: 'Patient', name: [{ family: data.get('family'), given: data.get('given') ? [data.get('given')] : undefined }] };
    if (data.get('birthDate')) p.birthDate = data.get('birthDate');
    if (data.get('gender')) p.gender = data.get('gender');
    if (data.get('mrn')) p.identifier = [{ system: 'urn:example:mrn', value: data.get('mrn') }];
    const created = await api.post('Patient', p);
    return notice(h('span', {}, 'Registered as ', h('a', { href: `#/patient/${encodeURIComponent(created.id)}`, id: 'registered' }, `Patient/${created.id}`),
      ' (they sign in with this record).'));
  });
}

function breakGlassPanel(ctx, pid, refresh) {
  return h('div', {},
    h('p', { class: 'warning', role: 'note' }, 'Break-glass opens this patient\'s record without their consent for a short time, '
      + 'in an emergency only. It is audited: the patient, compliance officers and the ledger see who did it, when and why.'),
    form({ 'aria-label': 'Break the glass', id: 'break-glass-form' }, [
      field('Reason (required)', h('textarea', { name: 'reason', rows: 2, required: true, maxlength: 1000 })),
      h('label', {}, h('input', { type: 'checkbox', name: 'understood', required: true }), 'I understand this access is audited'),
    ], 'Break the glass', async (data) => {
      await ctx.api.post(`Patient/${encodeURIComponent(pid)}/$break-glass`, Api.parameters({ reason: data.get('reason') }));
      refresh();
      return notice('Break-glass window open: every access now is audited as break-glass.');
    }));
}

function patientPage(ctx, pid) {
  const records = h('div', {});
  const refresh = () => records.replaceChildren(detailsSection(ctx.api, pid), ...recordsSections(ctx.api, pid));
  refresh();
  show(`Patient/${pid}`, records,
    h('h2', {}, 'Write a note or a report'), notePanel(ctx, pid, refresh),
    h('h2', {}, 'Emergency access'), breakGlassPanel(ctx, pid, refresh));
}

/** The directory, or those whose name matches `name`, with where each works. */
export function directorySection(api, name = '') {
  return section(name ? `Directory: names matching "${name}"` : 'Directory', async () => {
    const directory = await loadDirectory(api, { name });
    return h('div', { id: 'directory' }, table(['Name', 'Licence', 'Works at', 'Contact', 'Address', 'Id'], directory.practitioners.map((p) => [
      humanName(p), (p.identifier || []).map((i) => i.value).join(', '), directory.institutionOf(`Practitioner/${p.id}`),
      contact(p), address(p), `Practitioner/${p.id}`,
    ]), 'The directory is empty.'));
  });
}

/** The directory with a search by name (`extra`: more content under it, e.g. the admin's form). */
export function directoryPage(api, ...extra) {
  const list = h('div', { id: 'directory-list' });
  const load = (name) => list.replaceChildren(directorySection(api, name));
  load('');
  show('Directory', form({ class: 'inline', 'aria-label': 'Search the directory', id: 'directory-search' }, [
    field('Name', h('input', { name: 'name', id: 'directory-name' })),
  ], 'Search', async (data) => {
    load(String(data.get('name') || '').trim());
    return null;
  }), list, ...extra);
  return load;
}

export function clinicianRoutes(ctx) {
  const { api } = ctx;
  return {
    '': { label: 'My patients', nav: true, render: () => show('My patients',
      h('p', {}, 'The patients who have given you access (or whom you registered).'),
      section('Patients', async () => patientTable(await api.search('Patient?_count=50', 200), 'No patient has given you access.')),
      h('h2', {}, 'Register a patient'), registerPanel(api)) },
    find: { label: 'Find a patient', nav: true, render: () => {
      const results = h('div', { 'aria-live': 'polite' });
      show('Find a patient', form({ class: 'inline', 'aria-label': 'Find a patient' }, [
        field('Name', h('input', { name: 'name' })), field('Identifier', h('input', { name: 'identifier' })),
        field('Record id', h('input', { name: 'id' })),
      ], 'Search', async (data) => {
        if (data.get('id')) {
          location.hash = `#/patient/${encodeURIComponent(data.get('id'))}`;
          return null;
        }
        const q = new URLSearchParams();
        for (const k of ['name', 'identifier']) if (data.get(k)) q.set(k, data.get(k));
        return patientTable(await api.search(`Patient?${q}&_count=50`, 100), 'No patient you may see matches.');
      }), results);
    } },
    patient: { label: 'Patient', render: ([pid]) => patientPage(ctx, pid) },
    directory: { label: 'Directory', nav: true, render: () => directoryPage(api) },
    proof: { label: 'Proof', render: (parts) => show('Proof', proofSection(api, parts.join('/'))) },
  };
}
