// Plain fetch against Satchel's REST API, with the superuser token from localStorage.

const STORAGE_KEY = "__pb_superuser_auth__";
const BASE = new URL("../", new URL(".", location.href)).href.replace(/\/$/, "");

export const auth = {
  get() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
      return saved && typeof saved.token === "string" && saved.token ? saved : null;
    } catch {
      return null;
    }
  },
  save(token, record) {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ token, record }));
  },
  clear() {
    localStorage.removeItem(STORAGE_KEY);
  },
};

export class ApiError extends Error {
  constructor(status, body) {
    const message = body && typeof body.message === "string" && body.message ? body.message : `Request failed (${status}).`;
    super(message);
    this.status = status;
    this.data = (body && body.data) || {};
    this.body = body || {};
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export function url(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, value);
  }
  const search = params.toString();
  return BASE + path + (search ? "?" + search : "");
}

// api("GET", "/api/collections", {query}); a body that is FormData goes as multipart,
// anything else as JSON. `token` overrides the stored one (the installer's token).
export async function api(method, path, { body, query, token } = {}) {
  const headers = {};
  const sent = token !== undefined ? token : auth.get()?.token;
  if (sent) headers.Authorization = sent;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url(path, query), { method, headers, body: payload });
  } catch (exc) {
    throw new ApiError(0, { message: `The server could not be reached (${exc.message}).` });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    if (response.status === 401 && token === undefined && sent) onUnauthorized();
    throw new ApiError(response.status, data);
  }
  return data;
}

export function fileUrl(collectionId, recordId, name, query) {
  return url(`/api/files/${encodeURIComponent(collectionId)}/${encodeURIComponent(recordId)}/${encodeURIComponent(name)}`, query);
}

// A superuser file token for protected files, reused for a minute (they last a few).
let fileTokenCache = null;
export async function fileToken() {
  if (!fileTokenCache || Date.now() - fileTokenCache.at > 60_000) {
    const pending = api("POST", "/api/files/token").then((r) => r.token);
    fileTokenCache = { at: Date.now(), pending };
    pending.catch(() => (fileTokenCache = null));
  }
  return fileTokenCache.pending;
}

const IMAGE = /\.(jpe?g|png|gif|webp)$/i;
export function isImage(name) {
  return IMAGE.test(name);
}

// The address of a stored file (a thumbnail when `thumb` is given), with a file token
// when the field is protected.
export async function fileHref(collection, record, field, name, thumb) {
  const query = {};
  if (thumb && isImage(name)) query.thumb = thumb;
  if (field.protected) query.token = await fileToken();
  return fileUrl(collection.id, record.id, name, query);
}

// Logs in as a superuser; with MFA on, the first step answers 401 with an `mfaId` that
// the second step (auth-with-otp) must carry: the ApiError keeps it in `body.mfaId`.
export async function login(email, password, mfaId) {
  const result = await api("POST", "/api/collections/_superusers/auth-with-password", {
    body: { identity: email, password, ...(mfaId ? { mfaId } : {}) },
    token: null,
  });
  auth.save(result.token, result.record);
  return result;
}

export async function loginWithOtp(otpId, code, mfaId) {
  const result = await api("POST", "/api/collections/_superusers/auth-with-otp", {
    body: { otpId, password: code, ...(mfaId ? { mfaId } : {}) },
    token: null,
  });
  auth.save(result.token, result.record);
  return result;
}

// The claims of a JWT (no check: the server checks it when the token is used).
export function tokenClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(decodeURIComponent(escape(atob(part + "=".repeat((4 - (part.length % 4)) % 4)))));
  } catch {
    return {};
  }
}

// Every collection, cached until a collection is saved or deleted.
let collectionsCache = null;
export async function listCollections(refresh = false) {
  if (!collectionsCache || refresh) {
    collectionsCache = api("GET", "/api/collections", { query: { perPage: 500, sort: "name" } }).then((r) => r.items);
    collectionsCache.catch(() => (collectionsCache = null));
  }
  return collectionsCache;
}
export function forgetCollections() {
  collectionsCache = null;
}
