/*
 * ui/header.js — the status strip: inbox numbers, where data is kept, online state, and
 * whether what is shown is still the first-paint snapshot.
 *
 * Owns the stats list, the storage badge (with the worker's note as tooltip), the offline
 * pill and the "from 14:05" pill of a snapshot. Knows nothing about syncing; app.js feeds it
 * stats after each change.
 */
import { h, replace } from './dom.js';
import { count, fullDate, when } from './format.js';
import * as icons from './icons.js';

const STORAGE = {
  opfs: { text: 'Saved on this device (OPFS)', cls: 'ok' },
  idb: { text: 'Saved as snapshots (IndexedDB)', cls: 'ok' },
  memory: { text: 'Not saved (memory)', cls: 'warn' },
  relay: { text: 'Shared with another tab', cls: 'ok' },
};

/* [key, label, short label for a phone] */
const STATS = [
  ['open', 'open'],
  ['unread', 'unread'],
  ['with_reactions', 'with reactions', 'reacted'],
  ['repos', 'repos'],
  ['tracked', 'tracked'],
];

export class Header {
  /* statsEl: <ul> for the numbers; badgeEl: storage badge; offlineEl: offline pill;
   * snapEl: the snapshot pill. */
  constructor({ statsEl, badgeEl, offlineEl, snapEl }) {
    this.statsEl = statsEl;
    this.snapEl = snapEl;
    this.badgeEl = badgeEl;
    this.offlineEl = offlineEl;
    this.values = new Map();
    replace(statsEl, STATS.map(([key, label, short]) => {
      const num = h('span', { class: 'stat-num', text: '–' });
      this.values.set(key, num);
      return h('li', { class: ['stat', key === 'unread' && 'stat-unread'] }, num,
        h('span', { class: ['stat-label', short && 'stat-long'], text: label }),
        short ? h('span', { class: 'stat-label stat-short', text: short }) : null);
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

  /* at: the snapshot's time (ms) while the page shows it; null once the live data is in. */
  setSnapshot(at) {
    if (!this.snapEl) return;
    this.snapEl.hidden = !at;
    if (!at) return;
    this.snapEl.textContent = `from ${when(at)}`;
    this.snapEl.title = `Saved view from ${fullDate(at)}, shown while hub opens`;
  }

  /* storage: {mode, note[, owner_mode]} from hub.ready (mode "relay": another tab holds the
   * database; shown as shared, warned about only if that tab cannot save). */
  setStorage(storage) {
    let s = STORAGE[storage?.mode] || { text: 'Storage unknown', cls: 'warn' };
    if (storage?.mode === 'relay' && storage.owner_mode === 'memory') s = { ...s, cls: 'warn' };
    this.badgeEl.className = 'badge badge-' + s.cls;
    replace(this.badgeEl, h('span', { class: 'badge-dot', 'aria-hidden': 'true' }), h('span', { class: 'badge-text', text: s.text }));
    const note = typeof storage?.note === 'string' ? storage.note.slice(0, 300) : '';
    this.badgeEl.title = note || s.text;
    this.badgeEl.hidden = false;
  }
}
