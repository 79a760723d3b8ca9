/*
 * ui/help.js — the `?` dialog: every keyboard shortcut of the page, read from ui/keys.js's
 * table (the same one the keys dispatch from), grouped as it groups them.
 *
 * One <dialog> per page, built on first open and appended to <body>; Esc or the close button
 * closes it and focus returns where it was (the browser does that for showModal()). Styled by
 * .keys-help in style.css and tip.css. Part of the page layer (web/ui).
 */
import { h } from './dom.js';
import { keysOf } from './keys.js';

const NAMES = { Escape: 'Esc', Enter: 'Enter', ' ': 'Space' };

/* One key as <kbd>s: "g i" is two keys in a row, shown "g then i". */
function keyEls(key) {
  const parts = key.split(' ');
  const out = [];
  parts.forEach((p, i) => {
    if (i) out.push(h('span', { class: 'keys-then', text: ' then ' }));
    out.push(h('kbd', { text: NAMES[p] || p }));
  });
  return out;
}

export class KeysHelp {
  /* page: 'list' | 'tip' (which of the table's keys to show). */
  constructor(page) {
    this.page = page;
    this.dialog = null;
  }

  build() {
    const close = h('button', { type: 'button', class: 'keys-close', 'aria-label': 'Close', text: '✕', on: { click: () => this.dialog.close() } });
    const groups = keysOf(this.page).map(([group, list]) => h('section', { class: 'keys-group' },
      h('h3', { text: group }),
      h('dl', {}, list.map((k) => [
        h('dt', {}, k.keys.map((key, i) => [i ? h('span', { class: 'keys-or', text: ' or ' }) : null, keyEls(key)])),
        h('dd', { text: k.what }),
      ]))));
    this.dialog = h('dialog', { class: 'keys-help', id: 'keys-help', 'aria-labelledby': 'keys-help-title' },
      h('header', { class: 'keys-head' }, h('h2', { id: 'keys-help-title', text: 'Keyboard shortcuts' }), close),
      h('div', { class: 'keys-body' }, groups),
      h('p', { class: 'keys-foot', text: 'Keys act on the selected cards when some are selected, else on the focused card.' }));
    if (this.page !== 'list') this.dialog.lastChild.remove();
    this.dialog.addEventListener('click', (e) => { if (e.target === this.dialog) this.dialog.close(); });
    document.body.append(this.dialog);
  }

  get isOpen() { return !!this.dialog?.open; }

  open() {
    if (!this.dialog) this.build();
    if (!this.dialog.open) this.dialog.showModal();
    this.dialog.querySelector('.keys-close').focus();
  }
}
