// Run in the page by the browser tests: the accessibility basics the console promises, as a list of problems
// (empty: none). Every field has a label, every action a name, nothing is taken out of the tab order by a positive
// tabindex, text contrast is at least 4.5:1 (3:1 for large text), and the page does not scroll sideways.
const problems = [];
const visible = (el) => {
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
};
const describe = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.name ? `[name=${el.name}]` : ''}`
  + ` "${(el.textContent || '').trim().slice(0, 40)}"`;

for (const el of document.querySelectorAll('input, select, textarea')) {
  if (el.type === 'hidden' || !visible(el)) continue;
  const named = (el.labels && [...el.labels].some((l) => l.textContent.trim())) || el.getAttribute('aria-label')
    || el.getAttribute('aria-labelledby');
  if (!named) problems.push(`no label: ${describe(el)}`);
}
for (const el of document.querySelectorAll('button, a[href]')) {
  if (!visible(el)) continue;
  if (!(el.textContent.trim() || el.getAttribute('aria-label'))) problems.push(`no name: ${describe(el)}`);
  if (el.tabIndex < 0) problems.push(`not reachable by keyboard: ${describe(el)}`);
}
for (const el of document.querySelectorAll('[tabindex]')) {
  if (el.tabIndex > 0) problems.push(`positive tabindex: ${describe(el)}`);
}

function rgba(color) {
  const m = color.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return { r, g, b, a };
}
function luminance({ r, g, b }) {
  const c = [r, g, b].map((v) => {
    const x = v / 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}
function background(el) {
  for (let e = el; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c && c.a === 1) return c;
  }
  return { r: 255, g: 255, b: 255, a: 1 };
}
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const checked = new Set();
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const el = n.parentElement;
  if (!n.textContent.trim() || checked.has(el) || !visible(el) || el.closest('.skip, .uplot, noscript')) continue;
  checked.add(el);
  const s = getComputedStyle(el);
  const fg = rgba(s.color);
  if (!fg || fg.a < 1) continue;
  const [l1, l2] = [luminance(fg), luminance(background(el))].sort((x, y) => y - x);
  const ratio = (l1 + 0.05) / (l2 + 0.05);
  const size = parseFloat(s.fontSize);
  const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
  const disabled = el.closest('button:disabled');
  if (!disabled && ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)}: ${describe(el)}`);
}

const width = document.documentElement.clientWidth;
if (document.documentElement.scrollWidth > width) {
  // the innermost elements reaching past the screen's edge: what to fix
  const clipped = (el) => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX)) return true;
    }
    return false;
  };
  const over = [...document.body.querySelectorAll('*')].filter((el) => el.getBoundingClientRect().right > width + 1
    && !clipped(el) && ![...el.children].some((c) => c.getBoundingClientRect().right > width + 1));
  problems.push(`scrolls sideways: ${document.documentElement.scrollWidth} px wide in ${width} px, past the edge: `
    + over.slice(0, 3).map(describe).join('; '));
}
return problems;
