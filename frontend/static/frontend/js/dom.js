// DOM helpers shared by every page (bank, contests, live, site pages). No dependencies.

export const $ = (selector, root = document) => root.querySelector(selector);
export const byId = (id) => document.getElementById(id);

/**
 * el("div", {class: "x", text: "…", onclick: fn, dataset: {key: 1}}, child, "text", [more])
 * Attributes that are null, undefined or false are left out; true is an empty attribute; `value`
 * is set as a property after the children (a <select> needs its options first). Children may be
 * nodes, strings, numbers or arrays of them; null, undefined and false are skipped.
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  let value;
  for (const [key, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (key.startsWith("on") && typeof v === "function") node.addEventListener(key.slice(2), v);
    else if (key === "class") node.className = v;
    else if (key === "text") node.textContent = v;
    else if (key === "dataset") Object.assign(node.dataset, v);
    else if (key === "value") value = v;
    else node.setAttribute(key, v === true ? "" : v);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  if (value !== undefined) node.value = value;
  return node;
}

/** Copy an input's text: the Clipboard API, else select it and ask the browser. True if copied. */
export async function copyText(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch (e) {
    input.select();
    return Boolean(document.execCommand && document.execCommand("copy"));
  }
}

/** A "Copy" button: copies `input`, says `copied` or `failed` on the button, then its label again. */
export function copyButton(button, input, { copied, failed }) {
  button.addEventListener("click", async () => {
    const label = button.textContent;
    button.textContent = (await copyText(input)) ? copied : failed;
    setTimeout(() => (button.textContent = label), 2500);
  });
}
