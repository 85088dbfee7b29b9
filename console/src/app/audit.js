// AuditEvents as people read them: who, in which role, did what, when, why, and whether it was allowed.
import { h } from './ui.js';
import { date } from './fhir-text.js';
import { proofButton } from './proof.js';

export function requestor(ae) {
  return (ae.agent || []).find((a) => a.requestor) || (ae.agent || [])[0] || {};
}

export function who(ae) {
  const w = requestor(ae).who || {};
  return w.display || w.reference || (w.identifier && w.identifier.value) || 'unknown';
}

export function roles(ae) {
  return (requestor(ae).role || []).flatMap((r) => (r.coding || []).map((c) => c.code)).join(', ');
}

/**
 * The institution the requestor acted for: another agent of the event naming it (an institution acting for its
 * user), else where the directory says the requestor works. Empty when neither says.
 */
export function institution(ae, directory) {
  const named = (ae.agent || []).filter((a) => !a.requestor && a.who)
    .map((a) => a.who.display || a.who.reference || (a.who.identifier && a.who.identifier.value)).filter(Boolean);
  if (named.length) return named.join(', ');
  const ref = (requestor(ae).who || {}).reference;
  return ref && directory ? directory.institutionOf(ref) : '';
}

/** "who (roles), institution". */
export function whoInFull(ae, directory) {
  const where = institution(ae, directory);
  return `${who(ae)}${roles(ae) ? ` (${roles(ae)})` : ''}${where ? `, ${where}` : ''}`;
}

export function what(ae) {
  const interaction = ((ae.subtype || [])[0] || {}).code || ae.action || '';
  const target = (ae.entity || []).filter((e) => e.role && e.role.code === '4')
    .map((e) => (e.what && (e.what.reference || (e.what.identifier && e.what.identifier.value))) || '')[0];
  const query = (ae.entity || []).find((e) => e.role && e.role.code === '24');
  const params = query && (query.detail || []).find((d) => d.type === 'query-parameters');
  return [interaction, target, params ? `(search by ${params.valueString})` : ''].filter(Boolean).join(' ');
}

export function patientOf(ae) {
  const e = (ae.entity || []).find((x) => x.role && x.role.code === '1');
  return e && e.what ? e.what.reference || '' : '';
}

export function breakGlass(ae) {
  return (ae.purposeOfEvent || []).find((p) => (p.coding || []).some((c) => c.code === 'BTG'));
}

export function refused(ae) {
  return ae.outcome && ae.outcome !== '0';
}

export function why(ae) {
  const btg = breakGlass(ae);
  return btg ? h('span', { class: 'badge btg' }, `break-glass: ${btg.text || 'no reason recorded'}`) : 'normal';
}

export function outcome(ae) {
  if (!refused(ae)) return h('span', { class: 'badge allowed' }, 'allowed');
  return h('span', {}, h('span', { class: 'badge refused' }, ae.outcome === '8' ? 'failed' : 'refused'),
    ae.outcomeDesc ? ` ${ae.outcomeDesc}` : '');
}

/** One entry of a timeline. */
export function timelineEntry(api, ae, directory) {
  return h('li', { class: 'audit-entry', 'data-outcome': ae.outcome },
    h('strong', {}, date(ae.recorded)), ' · ', outcome(ae), ' · ', why(ae),
    h('div', {}, `${whoInFull(ae, directory)}: ${what(ae)}`),
    h('div', {}, proofButton(api, `AuditEvent/${ae.id}`)));
}
