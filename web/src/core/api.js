// The API, with the token in a header: JSON requests (at the as-of date when
// one is chosen) and files downloaded.
import { state } from './state.js';
import { esc } from './format.js';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code || '';
  }
}

export async function api(path, { method = 'GET', body, asOf = true } = {}) {
  let url = path;
  if (method === 'GET' && asOf && state.asOf) url += (url.includes('?') ? '&' : '?') + 'as_of=' + encodeURIComponent(state.asOf + 'T23:59:59Z');
  const res = await fetch(url, {
    method,
    headers: { Authorization: 'Bearer ' + state.token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

// Fetches a file with the token in the header and saves it from a blob URL.
export async function download(path, name, out, what) {
  out.textContent = 'preparing…';
  try {
    const res = await fetch(path, { headers: { Authorization: 'Bearer ' + state.token } });
    if (!res.ok) {
      let msg = `HTTP ${res.status}`;
      try { msg = (await res.json()).error.message || msg; } catch { /* not JSON */ }
      throw new Error(msg);
    }
    const url = URL.createObjectURL(await res.blob());
    const a = Object.assign(document.createElement('a'), { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    out.textContent = '';
  } catch (err) {
    out.innerHTML = `<span class="error">${esc(what)} could not be downloaded: ${esc(err.message)}</span>`;
  }
}
