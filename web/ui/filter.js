/*
 * ui/filter.js — the filter above the cards: All · GitHub · tangled · Good first issues.
 *
 * A tab list (role=tablist) with a roving tabindex: Tab reaches the chosen tab, the
 * left and right arrow keys, Home and End move between tabs and choose at once. The choice is kept in
 * localStorage and handed to the core as the cards command's "from". Counts per tab are
 * optional; app.js sets them after each reload. Knows nothing about the cards themselves.
 */
import { h } from './dom.js';
import { count } from './format.js';

const KEY = 'hub.from';

/* The routes the core's cards command understands, in the order shown. */
export const SOURCES = [
  { from: 'all', label: 'All' },
  { from: 'github', label: 'GitHub' },
  { from: 'tangled', label: 'tangled' },
  { from: 'gfi', label: 'Good first issues', short: 'First issues' },
];

export class SourceFilter {
  /* el: the container (made a tablist); panel: the element the tabs control (made a
   * tabpanel); onChange(from): called after the user picks another tab. */
  constructor(el, panel, onChange) {
    this.el = el;
    this.panel = panel;
    this.onChange = onChange;
    this.tabs = new Map();   /* from → {btn, num} */
    this.value = readStored();
    el.setAttribute('role', 'tablist');
    el.setAttribute('aria-label', 'Show cards from');
    panel.setAttribute('role', 'tabpanel');
    for (const s of SOURCES) {
      const num = h('span', { class: 'seg-count', 'aria-hidden': 'true' });
      const btn = h('button', {
        type: 'button', role: 'tab', class: 'seg', id: 'from-' + s.from,
        'aria-controls': panel.id, dataset: { from: s.from },
        on: { click: () => this.pick(s.from, false) },
      },
      h('span', { class: 'seg-label' + (s.short ? ' seg-long' : ''), text: s.label }),
      s.short ? h('span', { class: 'seg-label seg-short', 'aria-hidden': 'true', text: s.short }) : null,
      num);
      this.tabs.set(s.from, { btn, num, label: s.label });
      el.append(btn);
    }
    el.addEventListener('keydown', (e) => this.onKey(e));
    this.show();
  }

  onKey(e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const order = SOURCES.map((s) => s.from);
    const i = order.indexOf(this.value);
    let next = null;
    if (e.key === 'ArrowRight') next = order[(i + 1) % order.length];
    else if (e.key === 'ArrowLeft') next = order[(i + order.length - 1) % order.length];
    else if (e.key === 'Home') next = order[0];
    else if (e.key === 'End') next = order[order.length - 1];
    if (!next) return;
    e.preventDefault();
    e.stopPropagation();
    this.pick(next, true);
  }

  /* Chooses a route; focus: move keyboard focus to its tab. */
  pick(from, focus) {
    if (!this.tabs.has(from)) return;
    const changed = from !== this.value;
    this.value = from;
    try { localStorage.setItem(KEY, from); } catch { /* private mode: not remembered */ }
    this.show();
    if (focus) this.tabs.get(from).btn.focus();
    if (changed) this.onChange?.(from);
  }

  show() {
    for (const [from, t] of this.tabs) {
      const on = from === this.value;
      t.btn.setAttribute('aria-selected', on ? 'true' : 'false');
      t.btn.tabIndex = on ? 0 : -1;
      t.btn.classList.toggle('is-on', on);
    }
    this.panel.setAttribute('aria-labelledby', 'from-' + this.value);
  }

  /* counts: {from: number|null}; numbers at the cap are shown as "200+". */
  setCounts(counts, cap) {
    for (const [from, t] of this.tabs) {
      const n = counts ? counts[from] : null;
      if (!Number.isFinite(n)) { t.num.textContent = ''; t.btn.setAttribute('aria-label', t.label); continue; }
      const text = cap && n >= cap ? count(cap) + '+' : count(n);
      t.num.textContent = text;
      t.btn.classList.toggle('is-empty', n === 0);
      t.btn.setAttribute('aria-label', `${t.label}, ${text}`);
    }
  }
}

function readStored() {
  let v = null;
  try { v = localStorage.getItem(KEY); } catch { /* no storage */ }
  return SOURCES.some((s) => s.from === v) ? v : 'all';
}
