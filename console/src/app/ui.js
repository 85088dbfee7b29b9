// Small DOM helpers: every text goes in as text (never as HTML), so nothing the API returns can inject markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the page's content and moves focus to its heading (keyboard and screen-reader users land there). */
export function show(title, ...content) {
  const main = document.getElementById('main');
  const heading = h('h1', { tabindex: '-1' }, title);
  main.replaceChildren(heading, ...content.flat().filter(Boolean));
  document.title = `${title} · fhir-ledger console`;
  heading.focus();
}

/** What the API said when it refused or failed: its OperationOutcome text, shown as it is. */
export function errorBox(e) {
  const status = e && e.status ? `${e.status} ` : '';
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, `Refused or failed (${status.trim() || 'error'}): `),
    e && e.message ? e.message : String(e));
}

export function notice(text) {
  return h('div', { class: 'notice', role: 'status' }, text);
}

/** A section whose content is loaded: a heading, "Loading…", then the result or the API's refusal. */
export function section(title, load) {
  const body = h('div', { 'aria-live': 'polite' }, h('p', {}, 'Loading…'));
  const sec = h('section', {}, h('h2', {}, title), body);
  Promise.resolve()
    .then(load)
    .then((content) => body.replaceChildren(...[content].flat().filter(Boolean)))
    .catch((e) => body.replaceChildren(errorBox(e)));
  return sec;
}

/** A table; each cell names its column (`data-label`), shown above it when a phone's screen stacks the rows. */
export function table(headers, rows, empty = 'Nothing to show.') {
  if (!rows.length) return h('p', {}, empty);
  return h('div', { class: 'table-wrap' },
    h('table', {}, h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => h('td', { 'data-label': headers[i] }, c)))))));
}

export function dl(pairs) {
  return h('dl', {}, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function field(label, input) {
  return h('label', {}, label, input);
}

/** A form whose submit runs `action` (async); its result or the API's refusal appears under it. */
export function form(attrs, fields, submitText, action) {
  const out = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, submitText);
  const f = h('form', attrs, fields, h('div', {}, button));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    out.replaceChildren(h('p', {}, 'Working…'));
    try {
      const result = await action(new FormData(f), f);
      out.replaceChildren(...[result].flat().filter(Boolean));
    } catch (e) {
      out.replaceChildren(errorBox(e));
    } finally {
      button.disabled = false;
    }
  });
  return h('div', {}, f, out);
}
