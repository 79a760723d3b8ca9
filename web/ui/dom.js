/*
 * ui/dom.js — the only way the page builds DOM.
 *
 * h() creates an element from a tag name, a small attribute object and children;
 * children that are strings become text nodes, so data can never turn into markup.
 * safeHttpUrl() is the one gate every link from upstream passes through.
 * Part of the page layer (web/ui); no module here parses markup.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/* Returns a new element. attrs: {class, text, on:{event:fn}, dataset:{}, ...attributes};
 * boolean true sets an empty attribute, false/null/undefined skips it. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  append(el, children);
  return el;
}

/* Returns a new SVG element (for the few static icons); same rules as h(). */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  if (attrs) setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = String(v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (/^on/i.test(k) || k === 'style' || k === 'srcdoc') throw new Error('h(): refused attribute ' + k);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

/* Appends children (nodes, strings, numbers, nested arrays; null/false skipped). */
export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

/* Replaces all children of el. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/* Returns the URL as a normalised string when it is absolute http(s), else null.
 * httpsOnly: accept only https (links to items open in a new tab only if https). */
export function safeHttpUrl(raw, httpsOnly = false) {
  if (typeof raw !== 'string' || raw.length > 4096) return null;
  let u;
  try { u = new URL(raw); } catch { return null; }
  if (u.protocol === 'https:') return u.href;
  if (u.protocol === 'http:' && !httpsOnly) return u.href;
  return null;
}

/* Returns an <a> that opens url in a new tab without opener or referrer, or a <span>
 * with the same children when url is not acceptable. */
export function extLink(url, attrs, ...children) {
  if (!url) return h('span', { class: attrs && attrs.class }, ...children);
  return h('a', { ...attrs, href: url, target: '_blank', rel: 'noopener noreferrer' }, ...children);
}
