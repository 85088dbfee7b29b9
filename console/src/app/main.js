// Sign-in (SMART App Launch, standalone: authorization code with PKCE, public client) and the pages of each role.
import { Api } from './api.js';
import { h, show, errorBox } from './ui.js';
import { patientRoutes } from './patient.js';
import { clinicianRoutes } from './clinician.js';
import { complianceRoutes } from './compliance.js';
import { adminRoutes } from './admin.js';

const CLIENT_ID = 'fhir-ledger-console';
const SCOPE = 'openid fhirUser user/*.cruds';
const FHIR_BASE = `${location.origin}/fhir`;

const ROLE_ROUTES = {
  PATIENT: patientRoutes,
  CLINICIAN: clinicianRoutes,
  AUDITOR: complianceRoutes,
  ADMIN: adminRoutes,
  CUSTODIAN: (ctx) => ({ ...clinicianRoutes(ctx), ...complianceRoutes(ctx) }),
};

function signIn() {
  sessionStorage.clear();
  FHIR.oauth2.authorize({
    clientId: CLIENT_ID,
    scope: SCOPE,
    iss: FHIR_BASE,
    redirectUri: `${location.origin}/`,
    pkceMode: 'required',
  });
}

async function signOut() {
  sessionStorage.clear();
  let endpoint = '';
  try {
    endpoint = (await (await fetch(`${FHIR_BASE}/.well-known/smart-configuration`)).json()).authorization_endpoint;
  } catch {
    endpoint = '';
  }
  // dev mode: the embedded authorisation server's login session ends too, so the next person picks who they are
  location.assign(endpoint && endpoint.startsWith(location.origin) ? '/logout' : '/');
}

function signInPage(problem) {
  document.getElementById('nav').replaceChildren();
  document.getElementById('who').replaceChildren();
  const button = h('button', { type: 'button', id: 'sign-in', onclick: signIn }, 'Sign in');
  show('Sign in',
    h('p', {}, 'Patients, clinicians, compliance officers and administrators sign in with the authorisation server. '
      + 'Everything the console shows comes from the FHIR API with your own token: you see what the server lets you see.'),
    problem ? errorBox(problem) : null,
    button);
}

function claims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch {
    return {};
  }
}

async function session() {
  const params = new URLSearchParams(location.search);
  if (params.has('error')) {
    throw new Error(params.get('error_description') || params.get('error'));
  }
  if (!params.has('code') && !sessionStorage.getItem('SMART_KEY')) return null;
  const client = await FHIR.oauth2.ready();
  if (params.has('code')) history.replaceState(null, '', `/${location.hash}`);
  const token = client.state.tokenResponse.access_token;
  const c = claims(token);
  const fhirUser = c.fhirUser || null;
  return {
    api: new Api(FHIR_BASE, token),
    role: c.role || 'UNKNOWN',
    fhirUser,
    patientId: fhirUser && fhirUser.startsWith('Patient/') ? fhirUser.slice('Patient/'.length) : null,
    expiresAt: (c.exp || 0) * 1000,
  };
}

/** The roles other than `role` that have a page of this name (an admin's #/roles, a patient's #/consents…). */
function othersPage(role, page) {
  return Object.entries(ROLE_ROUTES).filter(([r, make]) => r !== role && page in make({ api: null })).map(([r]) => r);
}

function render(ctx, routes) {
  const hash = location.hash.replace(/^#\/?/, '');
  const [page, ...rest] = hash.split('/');
  const owners = page && !routes[page] ? othersPage(ctx.role, page) : [];
  if (owners.length) {
    // another role's page, opened by its address: said so plainly rather than another page shown in its place
    show('Not a page for your role', h('div', { class: 'error', role: 'alert', id: 'not-your-page' },
      h('strong', {}, 'Refused: '), `#/${page} is a page for ${owners.join(' or ')}; you are signed in as ${ctx.role}.`
        + ' Your pages are in the menu above.'));
    return;
  }
  const route = routes[page] || routes[''];
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.getAttribute('href') === `#/${page}` || (!routes[page] && a.getAttribute('href') === '#/')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (ctx.expiresAt && Date.now() > ctx.expiresAt) {
    signInPage(new Error('Your session has ended: sign in again.'));
    return;
  }
  Promise.resolve(route.render(rest.map(decodeURIComponent))).catch((e) => show(route.label, errorBox(e)));
}

async function start() {
  let ctx;
  try {
    ctx = await session();
  } catch (e) {
    signInPage(e);
    return;
  }
  if (!ctx) {
    signInPage();
    return;
  }
  const make = ROLE_ROUTES[ctx.role];
  if (!make) {
    show('No pages for this role', errorBox(new Error(`The token names the role ${ctx.role}, which has no pages here.`)));
    return;
  }
  const routes = make(ctx);
  document.getElementById('nav').replaceChildren(
    ...Object.entries(routes).filter(([, r]) => r.nav).map(([path, r]) => h('a', { href: `#/${path}` }, r.label)));
  document.getElementById('who').replaceChildren(
    h('span', { id: 'signed-in-as' }, `${ctx.role.toLowerCase()}${ctx.fhirUser ? ` · ${ctx.fhirUser}` : ''}`), ' ',
    h('button', { type: 'button', class: 'secondary', id: 'sign-out', onclick: signOut }, 'Sign out'));
  window.addEventListener('hashchange', () => render(ctx, routes));
  render(ctx, routes);
}

start();
