/*
 * console/health.js — the health panel: where the data lives (the worker's storage backend)
 * and how big it is (the core: page_count × page_size), the tables, the last syncs, the
 * outbox's depth, hubd's queue when a server answers, the wasm module's version and the
 * worker's memory.
 */
import { h, replace } from '../ui/dom.js';
import { num, bytes, when } from './fmt.js';
import { table } from './table.js';

const BACKEND = { opfs: 'OPFS (durable at every commit)', idb: 'IndexedDB snapshots', memory: 'memory only (not saved)' };

function fact(id, label, value) {
  return h('div', { class: 'fact', id }, h('dt', { text: label }), h('dd', null, value));
}

export class HealthPanel {
  constructor(el, ctx) {
    this.ctx = ctx;
    this.status = h('p', { class: 'panel-status', id: 'health-status', role: 'status' });
    this.content = h('div');
    replace(el, this.content, this.status);
  }

  async refresh() {
    this.render(await this.ctx.hub.call({ cmd: 'health' }));
  }

  render(r) {
    const w = r.worker || {};
    const mode = w.storage || this.ctx.info.storage?.mode;
    const facts = h('dl', { class: 'facts-grid', id: 'health-facts' },
      fact('h-backend', 'Storage', BACKEND[mode] || mode || 'unknown'),
      fact('h-size', 'Database size', bytes(r.db.bytes)),
      fact('h-pages', 'Pages × size', h('span', null, num(r.db.page_count), ' × ', num(r.db.page_size), ' (', num(r.db.freelist), ' free)')),
      fact('h-schema', 'Schema · SQLite', `${r.db.schema} · ${r.db.sqlite}`),
      fact('h-version', 'wasm module version', w.version || this.ctx.info.version || 'unknown'),
      fact('h-memory', 'Worker memory (wasm heap)', Number.isFinite(w.memory_bytes) ? bytes(w.memory_bytes) : 'unknown'),
      fact('h-sync', 'Sync running', r.sync_active ? 'yes' : 'no'),
      fact('h-outbox', 'Outbox depth', r.outbox.present ? num(r.outbox.depth) : h('span', null, num(0), h('span', { class: 'muted', text: ' (no outbox yet)' }))),
      fact('h-queue', 'Server queue depth', r.queue === null || r.queue === undefined ? h('span', { class: 'muted', text: 'no server (hubd) connected' }) : num(r.queue.depth ?? r.queue)),
      fact('h-events', 'Events held', h('span', null, num(r.events.held), ' of ', num(r.events.capacity))));
    const runs = table([{ label: 'Run', num: true }, { label: 'Started' }, { label: 'Status' }, { label: 'New', num: true },
      { label: 'Updated', num: true }, { label: 'Requests', num: true }, { label: 'Charged', num: true }],
    (r.runs || []).map((x) => [num(x.id), when(x.started), h('span', { class: x.status === 'ok' ? 'good' : 'bad', text: x.code ? `${x.status} (${x.code})` : x.status }),
      num(x.new), num(x.updated), num(x.requests), num(x.charged)]), { caption: 'The last syncs', cls: 'runs' });
    const tables = table([{ label: 'Table' }, { label: 'Rows', num: true }], Object.entries(r.tables).map(([k, v]) => [h('code', { text: k }), num(v)]),
      { caption: 'Tables', cls: 'tables' });
    replace(this.content, facts, h('div', { class: 'cols' }, runs, tables));
  }

  fail(err) { replace(this.status, `Could not read the health: ${err.message || err}`); }
}
