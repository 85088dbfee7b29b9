// A compliance officer's pages: AuditEvent search, refusals and break-glass over time, proofs, ledger status.
import { Api } from './api.js';
import { h, show, section, table, field, form, dl, errorBox } from './ui.js';
import { date } from './fhir-text.js';
import { who, roles, institution, what, patientOf, why, outcome, refused, breakGlass } from './audit.js';
import { loadDirectory, thisInstitution } from './directory.js';
import { proofSection, proofButton } from './proof.js';

export function ledgerStatusSection(api) {
  return section('Ledger', async () => {
    const [v, self] = await Promise.all([api.get('$ledger-status').then(Api.values), thisInstitution(api)]);
    return dl([['This institution', self && h('span', { id: 'this-institution' }, self)],
      ['Status', h('strong', { id: 'ledger-status' }, v.status)], ['Alarm', v.alarm],
      ['Private chain error', v.privateChainError], ['Public chain error', v.publicChainError],
      ['Private chain', v.privateChainId], ['Followed block (private chain head)', v.followedBlock], ['Log size', v.logSize],
      ['Anchored size', v.anchoredSize], ['Anchored root', v.anchoredRoot && h('span', { class: 'mono' }, v.anchoredRoot)],
      ['Last anchor', v.anchorIndex], ['Anchor transaction', v.anchorTx && h('span', { class: 'mono', id: 'ledger-anchor-tx' }, v.anchorTx)],
      ['Anchored at', v.anchoredAt], ['Entries pending', v.unanchoredEntries], ['Waiting for (s)', v.lagSeconds],
      ['Public chain', v.publicChainId], ['Anchor registry', v.anchorRegistry && h('span', { class: 'mono' }, v.anchorRegistry)],
    ]);
  });
}

/** Refusals and break-glass accesses per day, drawn with uPlot (loaded only on this page) and listed as a table. */
async function chart(events) {
  const days = new Map();
  for (const ae of events) {
    const day = String(ae.recorded || '').slice(0, 10);
    if (!day) continue;
    const d = days.get(day) || { refused: 0, btg: 0 };
    if (refused(ae)) d.refused++;
    if (breakGlass(ae)) d.btg++;
    days.set(day, d);
  }
  const keys = [...days.keys()].sort();
  const rows = keys.map((k) => [k, days.get(k).refused, days.get(k).btg]);
  const box = h('div', { class: 'chart', id: 'audit-chart', role: 'img', 'aria-label': 'Refusals and break-glass accesses per day' });
  if (keys.length) {
    const { default: UPlot } = await import('/vendor/uPlot.esm.js');
    // every day from the day before the first to the day after the last (the newest year at most), quiet days 0
    const DAY = 86400;
    const last = Date.parse(`${keys[keys.length - 1]}T00:00:00Z`) / 1000 + DAY;
    const first = Math.max(Date.parse(`${keys[0]}T00:00:00Z`) / 1000 - DAY, last - 366 * DAY);
    const xs = [];
    const refusedPerDay = [];
    const btgPerDay = [];
    for (let t = first; t <= last; t += DAY) {
      const d = days.get(new Date(t * 1000).toISOString().slice(0, 10)) || { refused: 0, btg: 0 };
      xs.push(t);
      refusedPerDay.push(d.refused);
      btgPerDay.push(d.btg);
    }
    const width = Math.min(900, Math.max(280, (document.getElementById('main').clientWidth || 600) - 20));
    const bars = UPlot.paths.bars({ size: [0.6, 40] });
    // eslint-disable-next-line no-new
    new UPlot({
      width, height: 220,
      series: [{}, { label: 'refused', stroke: '#a61b1b', fill: '#a61b1b88', paths: bars },
        { label: 'break-glass', stroke: '#7a4b00', fill: '#f0a50088', paths: bars }],
      axes: [{}, { label: 'per day' }],
    }, [xs, refusedPerDay, btgPerDay], box);
  }
  return [box, table(['Day', 'Refused', 'Break-glass'], rows, 'Nothing in this search.')];
}

function auditPage(api) {
  const results = h('div', { 'aria-live': 'polite', id: 'audit-results' });
  const run = async (data) => {
    const q = new URLSearchParams();
    if (data.get('patient')) q.set('patient', data.get('patient').includes('/') ? data.get('patient') : `Patient/${data.get('patient')}`);
    if (data.get('agent')) q.set('agent', data.get('agent'));
    if (data.get('entity')) q.set('entity', data.get('entity'));
    if (data.get('from')) q.append('date', `ge${data.get('from')}`);
    if (data.get('to')) q.append('date', `le${data.get('to')}T23:59:59Z`);
    if (data.get('outcome')) q.set('outcome', data.get('outcome'));
    q.set('_sort', '-date');
    q.set('_count', '100');
    const [events, directory] = await Promise.all([api.search(`AuditEvent?${q}`, 1000),
      loadDirectory(api, { practitioners: false }).catch(() => null)]);
    return [
      h('h2', {}, 'Refusals and break-glass over time'), ...(await chart(events)),
      h('h2', {}, `Events (${events.length}${events.length === 1000 ? ', the newest 1000' : ''})`),
      table(['When', 'Who', 'Roles', 'Institution', 'What', 'Patient', 'Why', 'Outcome', 'Proof'], events.map((ae) => [
        date(ae.recorded), who(ae), roles(ae), institution(ae, directory), what(ae), patientOf(ae), why(ae), outcome(ae), proofButton(api, `AuditEvent/${ae.id}`),
      ]), 'No AuditEvent matches.'),
    ];
  };
  // the first page's search (all events) may answer after a search the user started since: only the newest shows
  let latest = 0;
  const f = form({ class: 'inline', 'aria-label': 'Search the audit trail', id: 'audit-form' }, [
    field('Patient', h('input', { name: 'patient', placeholder: 'Patient/123' })),
    field('Agent', h('input', { name: 'agent', placeholder: 'Practitioner/7' })),
    field('Resource', h('input', { name: 'entity', placeholder: 'DiagnosticReport/5' })),
    field('From', h('input', { name: 'from', type: 'date' })),
    field('To', h('input', { name: 'to', type: 'date' })),
    field('Outcome', h('select', { name: 'outcome' }, h('option', { value: '' }, 'any'), h('option', { value: '0' }, 'allowed'),
      h('option', { value: '4' }, 'refused'), h('option', { value: '8' }, 'failed'))),
  ], 'Search', async (data) => {
    const mine = ++latest;
    results.replaceChildren(h('p', {}, 'Searching…'));
    const shown = await run(data).catch((e) => [errorBox(e)]);
    if (mine === latest) results.replaceChildren(...shown);
    return null;
  });
  show('Audit trail', f, results);
  const first = ++latest;
  run(new FormData())
    .then((c) => { if (first === latest) results.replaceChildren(...c); })
    .catch((e) => { if (first === latest) results.replaceChildren(errorBox(e)); });
}

function verifyPage(api, preset) {
  const out = h('div', {});
  show('Verify a record or an access', form({ class: 'inline', 'aria-label': 'Verify', id: 'verify-form' }, [
    field('Reference (Type/id, Type/id/_history/n or AuditEvent/id)', h('input', { name: 'reference', required: true, value: preset || '', size: 40 })),
  ], 'Verify', async (data) => {
    out.replaceChildren(proofSection(api, data.get('reference').trim()));
    return null;
  }), out);
  if (preset) out.replaceChildren(proofSection(api, preset));
}

export function complianceRoutes(ctx) {
  const { api } = ctx;
  return {
    '': { label: 'Audit trail', nav: true, render: () => auditPage(api) },
    verify: { label: 'Verify', nav: true, render: (parts) => verifyPage(api, parts.join('/')) },
    proof: { label: 'Proof', render: (parts) => verifyPage(api, parts.join('/')) },
    ledger: { label: 'Ledger status', nav: true, render: () => show('Ledger status', ledgerStatusSection(api)) },
  };
}
