// JSON over fetch for every page: Django's CSRF token from its cookie on unsafe methods, and
// failures thrown as ApiError with the API's shared error body {code, message, details}.
import { fmt, gettext } from "./i18n.js";

/** Django's CSRF token (the csrftoken cookie), for the X-CSRFToken header. */
export function csrfToken() {
  const match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
  return match ? decodeURIComponent(match[1]) : "";
}

/** A response that was not 2xx: status, plus the body's code, message and details when JSON. */
export class ApiError extends Error {
  constructor(status, body, statusText = "") {
    super((body && body.message) || statusText || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = (body && body.code) || "";
    this.details = body ? body.details : undefined;
  }
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

function fallbackMessage(status) {
  if (status >= 500) return gettext("Something went wrong on our side. Please try again.");
  return fmt(gettext("The request was refused (error %(status)s)."), { status });
}

/**
 * api(url, {method, body, form, cache, credentials}) -> the parsed JSON body (null when empty).
 * `body` is sent as JSON; `form` (FormData) as multipart. A non-2xx answer rejects with
 * ApiError, and so does a network failure (status 0, code "network"), in the page's language:
 * the browser's own TypeError says "Failed to fetch", in English, whatever the page's language.
 */
export async function api(url, { method = "GET", body, form, cache, credentials = "same-origin" } = {}) {
  const headers = { Accept: "application/json" };
  if (!SAFE.has(method)) headers["X-CSRFToken"] = csrfToken();
  let payload;
  if (form !== undefined) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body: payload, credentials, cache });
  } catch (error) {
    throw new ApiError(0, { code: "network", message: gettext("The server could not be reached. Please try again.") });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = null;
  }
  if (!response.ok) {
    // Not the API's error body (a proxy's 502 page, Django's debug page): the browser's status
    // text is English whatever the page's language.
    if (!(data && data.message)) data = { code: "http_error", message: fallbackMessage(response.status) };
    throw new ApiError(response.status, data, response.statusText);
  }
  return data;
}

/**
 * The problems an error body lists, as readable lines: DRF nests them for lists and objects
 * ({items: [{}, {text: ["Too long"]}]} -> "items 2 › text: Too long"); the valid items' empty
 * entries are skipped.
 */
function problems(value, path) {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) {
    return value.flatMap((item, i) =>
      item !== null && typeof item === "object" ? problems(item, `${path} ${i + 1}`.trim()) : problems(item, path),
    );
  }
  if (typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => problems(item, path ? `${path} › ${key}` : key));
  }
  return [path ? `${path}: ${value}` : String(value)];
}

/** A readable message for a failed call: the API's message plus the problems it lists. */
export function errorText(error) {
  if (!(error instanceof ApiError)) return String((error && error.message) || error);
  const lines = problems(error.details, "");
  return lines.length ? `${error.message} ${lines.join("; ")}` : error.message;
}
