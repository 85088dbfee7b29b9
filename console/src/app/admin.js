// An administrator's pages: the directory, and roles on chain ($assign-role / $revoke-role).
import { Api } from './api.js';
import { h, show, field, form, dl, notice } from './ui.js';
import { directoryPage } from './clinician.js';
import { ledgerStatusSection } from './compliance.js';

const ROLES = ['CLINICIAN', 'PATIENT', 'AUDITOR', 'ADMIN', 'CUSTODIAN'];

function roleSelect() {
  return h('select', { name: 'role', required: true }, ROLES.map((r) => h('option', { value: r }, r)));
}

/** The chain's answer: where the transaction was mined (ids `<prefix>-result`, `<prefix>-tx`). */
function onChain(title, answer, prefix) {
  const v = Api.values(answer);
  return [notice(title), h('div', { id: `${prefix}-result` }, dl([
    ['Account', h('span', { class: 'mono' }, v.account)], ['Role', v.role],
    ['Transaction', v.transaction && h('span', { class: 'mono', id: `${prefix}-tx` }, v.transaction)], ['Block', v.block],
  ]))];
}

function directoryAdminPage(api) {
  let reload = () => {};
  const editor = [h('h2', {}, 'Add or update a practitioner'),
    form({ 'aria-label': 'Add a practitioner', id: 'practitioner-form' }, [
      field('Id (letters, digits, -)', h('input', { name: 'id', required: true, pattern: '[A-Za-z0-9\\-.]{1,64}' })),
      field('Family name', h('input', { name: 'family', required: true })),
      field('Given name', h('input', { name: 'given' })),
      field('Licence number', h('input', { name: 'licence' })),
      field('Works at (hospital or practice)', h('input', { name: 'institution' })),
      field('Phone or e-mail', h('input', { name: 'contact' })),
    ], 'Save', async (data) => {
      const id = data.get('id');
      const p = { resourceType: 'Practitioner', id, name: [{ family: data.get('family'), given: data.get('given') ? [data.get('given')] : undefined }] };
      if (data.get('licence')) p.identifier = [{ system: 'urn:example:licence', value: data.get('licence') }];
      if (data.get('contact')) p.telecom = [{ system: data.get('contact').includes('@') ? 'email' : 'phone', value: data.get('contact') }];
      await api.put(`Practitioner/${encodeURIComponent(id)}`, p);
      // where they work: their PractitionerRole (same id), naming the organization
      if (data.get('institution')) {
        await api.put(`PractitionerRole/${encodeURIComponent(id)}`, {
          resourceType: 'PractitionerRole', id, active: true,
          practitioner: { reference: `Practitioner/${id}` }, organization: { display: data.get('institution') },
        });
      }
      reload('');
      return notice(`Saved Practitioner/${id}.`);
    })];
  reload = directoryPage(api, ...editor);
}

function rolesPage(api) {
  show('Roles on chain',
    h('p', {}, 'Roles live on the private chain: the server sends the transaction and the answer shows where it was mined.'),
    h('h2', {}, 'Assign a role'),
    form({ 'aria-label': 'Assign a role', id: 'assign-form' }, [
      field('Ledger account (0x…)', h('input', { name: 'account', required: true, pattern: '0x[0-9a-fA-F]{40}', id: 'assign-account' })),
      field('Role', roleSelect()),
      field('Person (fhirUser, e.g. Practitioner/7)', h('input', { name: 'fhirUser', id: 'assign-fhir-user', required: true })),
    ], 'Assign', async (data) => onChain('Assigned on chain.', await api.post('$assign-role',
      Api.parameters({ account: data.get('account'), role: data.get('role'), fhirUser: data.get('fhirUser') })), 'role')),
    h('h2', {}, 'Revoke a role'),
    form({ 'aria-label': 'Revoke a role', id: 'revoke-form' }, [
      field('Ledger account (0x…)', h('input', { name: 'account', required: true, pattern: '0x[0-9a-fA-F]{40}', id: 'revoke-account' })),
      field('Role', roleSelect()),
    ], 'Revoke', async (data) => onChain('Revoked on chain.', await api.post('$revoke-role',
      Api.parameters({ account: data.get('account'), role: data.get('role') })), 'revoke')));
}

export function adminRoutes(ctx) {
  const { api } = ctx;
  return {
    '': { label: 'Directory', nav: true, render: () => directoryAdminPage(api) },
    roles: { label: 'Roles', nav: true, render: () => rolesPage(api) },
    ledger: { label: 'Ledger status', nav: true, render: () => show('Ledger status', ledgerStatusSection(api)) },
  };
}
