/*
 * console/table.js — tables for the console (page layer): one builder for every panel's
 * tables, and CSV for the SQL runner's export. Cells are nodes or text; nothing is parsed as
 * markup.
 */
import { h } from '../ui/dom.js';

/* Returns a <table> (in a <div class="tablewrap"> that scrolls sideways on small screens):
 * columns [{label, num?}], rows of cells (Node, string, number, null), caption (text, optional;
 * visually hidden when opts.hideCaption). rowAttrs(i) may give attributes for each <tr>. */
export function table(columns, rows, { caption, hideCaption = false, cls, rowAttrs } = {}) {
  const head = h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'n' : null, text: c.label })));
  const body = rows.map((r, i) => h('tr', rowAttrs ? rowAttrs(i) : null,
    r.map((cell, j) => h('td', { class: columns[j] && columns[j].num ? 'n' : null }, cell === null || cell === undefined ? '' : cell))));
  return h('div', { class: 'tablewrap' }, h('table', { class: ['ctable', cls] },
    caption ? h('caption', { class: hideCaption ? 'vh' : null, text: caption }) : null,
    h('thead', null, head), h('tbody', null, body)));
}

/* A cell value of the sql command as text: blobs as x'hex…', null as empty. */
export function cellText(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return `x'${v.blob}${v.bytes > v.blob.length / 2 ? '…' : ''}'`;
  return String(v);
}

/* RFC 4180 CSV of columns and rows (sql command values); a cell starting with = + - @ is
 * prefixed with ' so a spreadsheet does not run it as a formula. */
export function toCSV(columns, rows) {
  const q = (v) => {
    let s = cellText(v);
    if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.map(q).join(','), ...rows.map((r) => r.map(q).join(','))].join('\r\n') + '\r\n';
}

/* Offers text as a file download named name. */
export function download(name, text, type = 'text/plain') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
