/*
 * ui/header.js — the status strip: inbox numbers, where data is kept, online state.
 *
 * Owns the stats list, the storage badge (with the worker's note as tooltip) and the
 * offline pill. Knows nothing about syncing; app.js feeds it stats after each change.
 */
import { h, replace } from './dom.js';
import { count } from './format.js';
import * as icons from './icons.js';

const STORAGE = {
  opfs: { text: 'Saved on this device (OPFS)', cls: 'ok' },
  idb: { text: 'Saved as snapshots (IndexedDB)', cls: 'ok' },
  memory: { text: 'Not saved (memory)', cls: 'warn' },
};

const STATS = [
  ['open', 'open'],
  ['unread', 'unread'],
  ['with_reactions', 'with reactions'],
  ['repos', 'repos'],
  ['tracked', 'tracked'],
];

export class Header {
  /* statsEl: <ul> for the numbers; badgeEl: storage badge; offlineEl: offline pill. */
  constructor({ statsEl, badgeEl, offlineEl }) {
    this.statsEl = statsEl;
    this.badgeEl = badgeEl;
    this.offlineEl = offlineEl;
    this.values = new Map();
    replace(statsEl, STATS.map(([key, label]) => {
      const num = h('span', { class: 'stat-num', text: '–' });
      this.values.set(key, num);
      return h('li', { class: ['stat', key === 'unread' && 'stat-unread'] }, num, h('span', { class: 'stat-label', text: label }));
    }));
    replace(offlineEl, icons.offline(), h('span', { text: 'Offline' }));
    offlineEl.title = 'No network: showing what is saved on this device. Refresh needs a connection.';
    const update = () => { offlineEl.hidden = navigator.onLine !== false; };
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    update();
  }

  /* stats: {tracked, open, with_reactions, repos, unread} from the core. */
  setStats(stats) {
    for (const [key] of STATS) {
      const el = this.values.get(key);
      const v = stats && Number.isFinite(stats[key]) ? stats[key] : null;
      el.textContent = v === null ? '–' : count(v);
      el.parentElement.classList.toggle('is-zero', v === 0);
    }
  }

  /* storage: {mode, note} from hub.ready. */
  setStorage(storage) {
    const s = STORAGE[storage?.mode] || { text: 'Storage unknown', cls: 'warn' };
    this.badgeEl.className = 'badge badge-' + s.cls;
    replace(this.badgeEl, h('span', { class: 'badge-dot', 'aria-hidden': 'true' }), s.text);
    const note = typeof storage?.note === 'string' ? storage.note.slice(0, 300) : '';
    this.badgeEl.title = note || s.text;
    this.badgeEl.hidden = false;
  }
}
