/*
 * ui/body.js — renders an item's body from the core's body_ast.
 *
 * body_ast is a tree of strings (text) and {t, c, href?, src?, alt?} nodes parsed from
 * hostile Markdown by the core. Only whitelisted tag names become elements; text goes
 * through text nodes; links keep only absolute http(s) hrefs and open in a new tab;
 * images become links (no remote image is ever loaded). Depth and size are capped so a
 * hostile body cannot freeze the page. Without body_ast the plain body is shown as text.
 */
import { h, safeHttpUrl, extLink } from './dom.js';

const TAGS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'blockquote',
  'pre', 'code', 'em', 'strong', 'del', 'br', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td']);
const MAX_DEPTH = 48;
const MAX_NODES = 20000;

/* Returns a <div class="body"> for the card's body; never throws on malformed input. */
export function renderBody(card) {
  const root = h('div', { class: 'body' });
  const budget = { nodes: 0 };
  if (Array.isArray(card?.body_ast) && card.body_ast.length) {
    for (const n of card.body_ast) renderNode(root, n, 0, budget);
  } else if (typeof card?.body === 'string' && card.body.trim()) {
    root.append(h('p', { class: 'plain', text: card.body.slice(0, 200000) }));
  } else {
    root.append(h('p', { class: 'muted', text: 'No description.' }));
  }
  if (budget.nodes > MAX_NODES) root.append(h('p', { class: 'muted', text: '… (truncated)' }));
  return root;
}

function renderNode(parent, node, depth, budget) {
  if (++budget.nodes > MAX_NODES) return;
  if (typeof node === 'string') { parent.append(document.createTextNode(node)); return; }
  if (!node || typeof node !== 'object' || depth > MAX_DEPTH) return;
  const t = typeof node.t === 'string' ? node.t : '';
  const kids = Array.isArray(node.c) ? node.c : [];
  let el;
  if (t === 'a') {
    el = extLink(safeHttpUrl(node.href), { class: 'link' });
  } else if (t === 'img') {
    const url = safeHttpUrl(node.src);
    const alt = typeof node.alt === 'string' && node.alt.trim() ? node.alt.trim() : 'image';
    parent.append(extLink(url, { class: 'img-link', title: url || '' }, `[image: ${alt.slice(0, 200)}]`));
    return;
  } else if (t === 'table') {
    el = h('table');
    parent.append(h('div', { class: 'table-wrap' }, el));
    for (const k of kids) renderNode(el, k, depth + 1, budget);
    return;
  } else if (TAGS.has(t)) {
    el = h(t);
  } else {
    el = h('span'); /* unknown node: keep its text, drop its meaning */
  }
  parent.append(el);
  for (const k of kids) renderNode(el, k, depth + 1, budget);
}
