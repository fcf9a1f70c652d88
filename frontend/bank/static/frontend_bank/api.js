// Tiny fetch helper for the bank pages: JSON in and out, Django's CSRF token from the cookie,
// errors thrown with the API's {code, message, details} body.

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
    this.details = body && body.details;
  }
}

export async function api(method, url, body, { form = false } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let payload;
  if (body !== undefined && !form) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  } else if (form) {
    payload = body;
  }
  const response = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// A readable message for a failed call: the API message plus listed problems.
export function errorText(error) {
  if (!(error instanceof ApiError)) return String(error.message || error);
  const details = error.details;
  if (Array.isArray(details)) return `${error.message} ${details.join(" ")}`;
  if (details && typeof details === "object") {
    const parts = Object.entries(details).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`);
    return `${error.message} ${parts.join("; ")}`;
  }
  return error.message;
}
