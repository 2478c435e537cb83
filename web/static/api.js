// The admin API, through the session cookie: GETs as they are, anything
// else with the session's CSRF token. A 401 means the session ended.

let csrf = '';

// A hint, not a secret: when the last sign-in's session ends. Without it the
// page shows the sign-in form at once instead of asking GET /app/session,
// whose 401 the browser would log as a console error on every signed-out load.
const HINT = 'bcflow-session-until';

function hinted() {
  return Date.parse(localStorage.getItem(HINT) || '') > Date.now();
}

function remember(out) {
  csrf = out.csrf;
  if (out.expires_at) localStorage.setItem(HINT, out.expires_at);
}

/** forget drops the session hint (the session ended). */
export function forget() {
  csrf = '';
  localStorage.removeItem(HINT);
}

/** ApiError carries the API's {"error":{"code","message"}}. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code || 'http_' + res.status, e.message || res.statusText);
  }
  return data;
}

/** session reports whether a session is open (and remembers its CSRF token). */
export async function session() {
  if (!hinted()) return false;
  try {
    remember(await call('GET', '/app/session'));
    return true;
  } catch (e) {
    if (e.status === 401) {
      forget();
      return false;
    }
    throw e;
  }
}

/** signIn exchanges the admin token for a session cookie. */
export async function signIn(token) {
  remember(await call('POST', '/app/session', { token }));
}

/** signOut ends the session. */
export async function signOut() {
  try {
    await call('DELETE', '/app/session');
  } finally {
    forget();
  }
}

/** get reads an /api/v1 path with query parameters. */
export function get(path, query = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return call('GET', '/api/v1' + path + (s ? '?' + s : ''));
}

/** storePath is /stores/{store} with the store escaped. */
export function storePath(store, rest = '') {
  return '/stores/' + encodeURIComponent(store) + rest;
}
