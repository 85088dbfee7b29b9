// A clinician's pages: my patients, find a patient, a patient's record, a note, break-glass, the directory.
import { Api } from './api.js';
import { h, show, section, table, field, form, notice } from './ui.js';
import { humanName, contact, address } from './fhir-text.js';
import { detailsSection, recordsSections } from './patient.js';
import { proofSection } from './proof.js';

function patientTable(patients, empty) {
  return table(['Name', 'Born', 'Gender', 'Record'], patients.map((p) => [
    h('a', { href: `#/patient/${encodeURIComponent(p.id)}` }, humanName(p)), p.birthDate || '', p.gender || '', `Patient/${p.id}`,
  ]), empty);
}

function notePanel(ctx, pid, refresh) {
  return form({ 'aria-label': 'Write a note', id: 'note-form' }, [
    field('Note', h('textarea', { name: 'text', rows: 3, required: true, maxlength: 2000 })),
  ], 'Save the note', async (data) => {
    const obs = await ctx.api.post('Observation', {
      resourceType: 'Observation', status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'exam' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '34109-9', display: 'Note' }], text: 'Clinical note' },
      subject: { reference: `Patient/${pid}` },
      effectiveDateTime: new Date().toISOString(),
      performer: ctx.fhirUser ? [{ reference: ctx.fhirUser }] : undefined,
      valueString: data.get('text'),
    });
    refresh();
    return notice(`Saved as Observation/${obs ? obs.id : ''}.`);
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
    h('h2', {}, 'Write a note'), notePanel(ctx, pid, refresh),
    h('h2', {}, 'Emergency access'), breakGlassPanel(ctx, pid, refresh));
}

export function directorySection(api) {
  return section('Directory', async () => {
    const ps = await api.search('Practitioner?_count=100', 500);
    return table(['Name', 'Licence', 'Contact', 'Address', 'Id'], ps.map((p) => [
      humanName(p), (p.identifier || []).map((i) => i.value).join(', '), contact(p), address(p), `Practitioner/${p.id}`,
    ]), 'The directory is empty.');
  });
}

export function clinicianRoutes(ctx) {
  const { api } = ctx;
  return {
    '': { label: 'My patients', nav: true, render: () => show('My patients',
      h('p', {}, 'The patients who have given you access (or whom you registered).'),
      section('Patients', async () => patientTable(await api.search('Patient?_count=50', 200), 'No patient has given you access.'))) },
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
    directory: { label: 'Directory', nav: true, render: () => show('Directory', directorySection(api)) },
    proof: { label: 'Proof', render: (parts) => show('Proof', proofSection(api, parts.join('/'))) },
  };
}
