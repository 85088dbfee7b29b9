// The FHIR API with the signed-in user's token: the only thing the console talks to.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The text of an OperationOutcome (diagnostics, or details), or the status line if there is none. */
export function outcomeText(body, status) {
  if (body && body.resourceType === 'OperationOutcome' && Array.isArray(body.issue)) {
    const texts = body.issue.map((i) => i.diagnostics || (i.details && i.details.text) || i.code).filter(Boolean);
    if (texts.length) return texts.join('; ');
  }
  if (status === 404) return 'Not found (or not yours to see).';
  return `The server answered ${status}.`;
}

export class Api {
  constructor(base, token) {
    this.base = base;
    this.token = token;
  }

  async request(path, { method = 'GET', body, headers = {} } = {}) {
    const init = {
      method,
      headers: { Accept: 'application/fhir+json', Authorization: `Bearer ${this.token}`, ...headers },
    };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/fhir+json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const url = path.startsWith('http') ? path : `${this.base}/${path.replace(/^\//, '')}`;
    const response = await fetch(url, init);
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!response.ok) throw new ApiError(response.status, outcomeText(json, response.status));
    return json;
  }

  get(path) { return this.request(path); }
  post(path, body) { return this.request(path, { method: 'POST', body }); }
  put(path, body) { return this.request(path, { method: 'PUT', body }); }

  /** The resources of a search Bundle, following next links up to `max` resources. */
  async search(path, max = 200) {
    let bundle = await this.get(path);
    const out = [];
    for (;;) {
      for (const e of bundle.entry || []) {
        if (e.resource && (!e.search || e.search.mode !== 'outcome')) out.push(e.resource);
      }
      const next = (bundle.link || []).find((l) => l.relation === 'next');
      if (!next || out.length >= max) return out.slice(0, max);
      bundle = await this.get(next.url);
    }
  }

  /** A FHIR Parameters resource from an object of name → string. */
  static parameters(values) {
    return {
      resourceType: 'Parameters',
      parameter: Object.entries(values).filter(([, v]) => v !== undefined && v !== '')
        .map(([name, v]) => ({ name, valueString: String(v) })),
    };
  }

  /** Parameters as name → value (repeated names → arrays of values; parts → arrays of part maps). */
  static values(parameters) {
    const out = {};
    for (const p of (parameters && parameters.parameter) || []) {
      const key = Object.keys(p).find((k) => k.startsWith('value'));
      const v = p.part ? Api.values({ parameter: p.part }) : key ? p[key] : undefined;
      if (p.name in out) out[p.name] = [].concat(out[p.name], [v]);
      else out[p.name] = v;
    }
    return out;
  }
}
