/*
 * console/events.js — the event stream panel: what the core did lately (the core's ring of
 * 500 events), newest first, filterable by kind and by item, tailing live by polling the
 * `events` command with the last sequence number seen.
 *
 * The ring lives in memory on the core's handle, and each page of the PWA has its own worker
 * and handle: this panel shows what the console's own core did — its commands, and the syncs
 * started here with "Sync now", whose requests and answers stream in while it runs. (Behind
 * hubd, the server's one long-lived handle: its scheduled syncs too.)
 */
import { h, replace } from '../ui/dom.js';
import { when, num } from './fmt.js';
import { table } from './table.js';

const KINDS = [['', 'All kinds'], ['sync', 'Sync'], ['item', 'Items'], ['tip', 'Tips'], ['triage', 'Triage'],
  ['outbox', 'Outbox'], ['error', 'Errors'], ['data', 'Your data']];
const POLL_MS = 2000;
const MAX_ROWS = 500;

function dataText(d) {
  return Object.entries(d || {}).map(([k, v]) => `${k}=${v === null ? '–' : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v}`).join('  ');
}

export class EventsPanel {
  constructor(el, ctx) {
    this.ctx = ctx;
    this.last = 0;
    this.rows = [];
    this.kind = h('select', { id: 'ev-kind', 'aria-label': 'Kind of event', on: { change: () => this.reload() } },
      KINDS.map(([v, t]) => h('option', { value: v, text: t })));
    this.item = h('input', { type: 'search', id: 'ev-item', placeholder: 'Item or URL contains…', 'aria-label': 'Item contains',
      on: { input: () => { clearTimeout(this.typing); this.typing = setTimeout(() => this.reload(), 250); } } });
    this.live = h('input', { type: 'checkbox', id: 'ev-live', checked: true, on: { change: () => this.schedule() } });
    this.syncBtn = h('button', { type: 'button', class: 'btn', id: 'ev-sync', text: 'Sync now', on: { click: () => this.sync() } });
    this.status = h('p', { class: 'panel-status', id: 'ev-status', role: 'status' });
    this.list = h('div', { class: 'scroll', id: 'ev-list' });
    replace(el,
      h('p', { class: 'panel-intro', text: 'What this page’s core did: sync requests and answers, items new and updated, tips served and reactions, errors. Kept in memory, newest 500; “Sync now” refreshes from upstream here and streams it.' }),
      h('div', { class: 'controls' }, this.kind, this.item, h('label', { class: 'check' }, this.live, ' Live'), h('span', { class: 'spacer' }), this.syncBtn),
      this.status, this.list);
  }

  filters() {
    return { kind: this.kind.value || undefined, item: this.item.value.trim() || undefined };
  }

  async reload() {
    this.last = 0;
    this.rows = [];
    await this.refresh();
  }

  async refresh() {
    const res = await this.ctx.hub.call({ cmd: 'events', since: this.last, limit: 500, ...this.filters() });
    if (this.last === 0) this.rows = [];
    this.rows = [...res.events.slice().reverse(), ...this.rows].slice(0, MAX_ROWS);
    this.last = res.last;
    this.render(res);
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    if (this.live.checked) this.timer = setTimeout(() => this.refresh().catch(() => this.schedule()), this.syncing ? 300 : POLL_MS);
  }

  /* A sync through this page's worker; the events of it stream in while it runs. */
  async sync() {
    if (this.syncing) return;
    this.syncing = true;
    this.syncBtn.disabled = true;
    this.schedule();
    try {
      const run = await this.ctx.hub.sync(() => {});
      this.syncBtn.dataset.run = String(run.id);
      /* part of the status line from now on: render() draws it, the live refresh too */
      this.lastSync = ` · sync #${run.id}: ${run.status}, ${run.new} new, ${run.updated} updated`;
      await this.ctx.refreshAll();
    } catch (err) {
      this.lastSync = ` · sync failed: ${err.message || err}`;
      replace(this.status, `Sync failed: ${err.message || err}`);
    } finally {
      this.syncing = false;
      this.syncBtn.disabled = false;
    }
  }

  render(res) {
    replace(this.status, `${this.rows.length} shown · last event #${res.last} · ${res.lost} older ones overwritten`, this.lastSync || '');
    this.status.dataset.last = String(res.last);
    if (!this.rows.length) {
      replace(this.list, h('p', { class: 'empty-note', text: 'No events on this page’s core yet: “Sync now” streams a sync here.' }));
      return;
    }
    replace(this.list, table(
      [{ label: '#', num: true }, { label: 'When' }, { label: 'Kind' }, { label: 'Item' }, { label: 'Details' }],
      this.rows.map((e) => [num(e.seq), when(e.at), h('code', { text: e.kind }), e.item || '', h('span', { class: 'mono small', text: dataText(e.data) })]),
      { caption: 'Events, newest first', hideCaption: true, cls: 'events', rowAttrs: (i) => ({ dataset: { seq: String(this.rows[i].seq), kind: this.rows[i].kind } }) }));
  }

  fail(err) {
    replace(this.status, `Could not read the events: ${err.message || err}`);
  }
}
