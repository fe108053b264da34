// Calls to csms's HTTP API with the signed-in operator's bearer token, kept for the browser tab
// only (sessionStorage); every failure becomes an ApiError with the API's `error` code.

const TOKEN_KEY = 'csms.dashboard.token';
const WHO_KEY = 'csms.dashboard.who';

/** A failed call: `status` 0 when csms could not be reached. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Called when the token stops being accepted (401). */
let onUnauthorized = () => {};
export function whenUnauthorized(callback) {
  onUnauthorized = callback;
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function who() {
  return sessionStorage.getItem(WHO_KEY) || '';
}

export function keep(newToken, label) {
  sessionStorage.setItem(TOKEN_KEY, newToken);
  sessionStorage.setItem(WHO_KEY, label);
}

export function forget() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(WHO_KEY);
}

/**
 * `method path` with a JSON `body`; the answer's JSON (null for 204). `bearer`: the token to
 * send (the kept one by default, none with `null`).
 */
export async function api(method, path, body = undefined, bearer = token()) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', 'csms cannot be reached');
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const code = data?.error ?? `http_${response.status}`;
    const message = data?.message ?? `${response.status} ${response.statusText}`.trim();
    if (response.status === 401 && bearer && bearer === token()) onUnauthorized();
    throw new ApiError(response.status, code, message);
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);

/** The server has no such endpoint (yet): the section says "unavailable" instead of failing. */
export function isUnavailable(error) {
  return error instanceof ApiError && (error.status === 404 || error.status === 405 || error.status === 501);
}

/** A query string from the defined values of `params`. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) search.set(name, String(value));
  }
  return search.toString();
}
