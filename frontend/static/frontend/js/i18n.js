// Translations for every page: Django's JavaScript catalogue (window.gettext, loaded by a plain
// <script> before the modules) with English fallbacks. Mark strings with gettext("…") at the
// call site so makemessages finds them; fill placeholders with fmt().

export const gettext = (s) => (window.gettext ? window.gettext(s) : s);
export const ngettext = (one, many, n) =>
  window.ngettext ? window.ngettext(one, many, n) : n === 1 ? one : many;
export const pgettext = (context, s) => (window.pgettext ? window.pgettext(context, s) : s);

/** Fill an already translated string: %(name)s from an object, or each %s in turn from an array. */
export function fmt(s, values) {
  if (Array.isArray(values)) {
    let i = 0;
    return String(s).replace(/%s/g, () => String(values[i++]));
  }
  return String(s).replace(/%\((\w+)\)s/g, (m, key) => (key in values ? values[key] : m));
}

/** A bilingual text {vi, en} in `lang` when it has it, else in the other language. */
export function pick(text, lang) {
  if (text === null || text === undefined) return "";
  if (typeof text === "string") return text;
  const other = lang === "vi" ? "en" : "vi";
  return (text[lang] || "").trim() || (text[other] || "").trim();
}

/** The language of the bilingual text pick() shows (for the lang attribute). */
export function pickLang(text, lang) {
  if (!text || typeof text === "string") return lang;
  return (text[lang] || "").trim() ? lang : lang === "vi" ? "en" : "vi";
}
