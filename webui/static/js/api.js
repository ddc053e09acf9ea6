// The API client: every request carries the token pasted once (kept in this browser's localStorage,
// never in a URL) and, for admin tokens, the organization chosen (X-Organization-Id).

const TOKEN = "ocpp-ledger.token";
const ORGANIZATION = "ocpp-ledger.organization";

export const session = {
  get token() { return localStorage.getItem(TOKEN); },
  set token(value) { value ? localStorage.setItem(TOKEN, value) : localStorage.removeItem(TOKEN); },
  get organization() { return localStorage.getItem(ORGANIZATION); },
  set organization(value) {
    value ? localStorage.setItem(ORGANIZATION, value) : localStorage.removeItem(ORGANIZATION);
  },
  signOut() { this.token = null; this.organization = null; },
};

export class ApiError extends Error {
  constructor(status, body) {
    super(typeof body?.detail === "string" ? body.detail : JSON.stringify(body?.detail ?? body));
    this.status = status;
    this.body = body;
  }
}

export function headers(extra = {}) {
  const all = { ...extra };
  if (session.token) all.Authorization = `Bearer ${session.token}`;
  if (session.organization) all["X-Organization-Id"] = session.organization;
  return all;
}

export function query(params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, item);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export async function api(path, { method = "GET", body, params, raw = false, type } = {}) {
  const init = { method, headers: headers() };
  if (body !== undefined) {
    init.headers["Content-Type"] = type ?? "application/json";
    init.body = type ? body : JSON.stringify(body);
  }
  const answer = await fetch(path + query(params), init);
  if (!answer.ok) {
    let detail;
    try { detail = await answer.json(); } catch { detail = { detail: answer.statusText }; }
    if (answer.status === 401) window.dispatchEvent(new CustomEvent("lab:unauthorized"));
    throw new ApiError(answer.status, detail);
  }
  if (raw) return answer;
  return answer.status === 204 ? null : answer.json();
}

let schema;
export async function openapi() {
  schema ??= fetch("/openapi.json").then((r) => r.json());
  return schema;
}
