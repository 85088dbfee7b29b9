// How FHIR values read on a page.

export function humanName(resource) {
  const n = (resource && resource.name && resource.name[0]) || null;
  if (!n) return resource ? `${resource.resourceType}/${resource.id}` : '';
  if (n.text) return n.text;
  return [(n.prefix || []).join(' '), (n.given || []).join(' '), n.family].filter(Boolean).join(' ');
}

export function concept(cc) {
  if (!cc) return '';
  if (cc.text) return cc.text;
  const c = (cc.coding || [])[0];
  return c ? c.display || c.code || '' : '';
}

export function date(value) {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime()) || /^\d{4}(-\d{2}){0,2}$/.test(value)) return value;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** When a clinical resource happened, whichever of FHIR's date fields it has. */
export function when(r) {
  return r.effectiveDateTime || (r.effectivePeriod && r.effectivePeriod.start) || r.issued || r.onsetDateTime
    || r.recordedDate || r.date || (r.meta && r.meta.lastUpdated) || '';
}

/** What a clinical resource says, briefly. */
export function summary(r) {
  if (r.valueQuantity) return `${r.valueQuantity.value} ${r.valueQuantity.unit || r.valueQuantity.code || ''}`.trim();
  if (r.valueString) return r.valueString;
  if (r.valueCodeableConcept) return concept(r.valueCodeableConcept);
  if (r.conclusion) return r.conclusion;
  if (r.clinicalStatus) return concept(r.clinicalStatus);
  if (r.description) return r.description;
  return r.status || '';
}

export function contact(r) {
  return (r.telecom || []).map((t) => `${t.system ? `${t.system}: ` : ''}${t.value}`).join(', ');
}

export function address(r) {
  return (r.address || []).map((a) => a.text || [(a.line || []).join(' '), a.postalCode, a.city, a.country]
    .filter(Boolean).join(', ')).join('; ');
}
