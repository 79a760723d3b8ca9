/*
 * console/data.js — the "your data" panel: export everything hub stores as one JSON file
 * (settings without the token), import such a file back (it replaces everything), and delete
 * everything (the token too), each one action, the last two asked first.
 */
import { h, replace } from '../ui/dom.js';
import { num } from './fmt.js';
import { download } from './table.js';
import { ask } from './dialog.js';

export class DataPanel {
  constructor(el, ctx) {
    this.ctx = ctx;
    this.file = h('input', { type: 'file', id: 'data-file', accept: 'application/json,.json', class: 'vh', on: { change: () => this.importFile() } });
    this.status = h('p', { class: 'panel-status', id: 'data-status', role: 'status', 'aria-live': 'polite' });
    replace(el,
      h('p', { class: 'panel-intro', text: 'Everything hub keeps is on this device. Take it with you, bring it back, or delete it.' }),
      h('div', { class: 'data-actions' },
        h('div', { class: 'data-action' },
          h('button', { type: 'button', class: 'btn btn-primary', id: 'data-export', text: 'Export everything', on: { click: () => this.exportAll() } }),
          h('p', { class: 'muted', text: 'One JSON file: items, reasons, runs, tips and reactions, the model, settings (without your token), saved queries.' })),
        h('div', { class: 'data-action' },
          h('label', { class: 'btn', for: 'data-file', id: 'data-import', text: 'Import an export…' }), this.file,
          h('p', { class: 'muted', text: 'Replaces what is stored now with the file’s contents (your token stays).' })),
        h('div', { class: 'data-action' },
          h('button', { type: 'button', class: 'btn btn-danger-solid', id: 'data-purge', text: 'Delete everything…', on: { click: () => this.purge() } }),
          h('p', { class: 'muted', text: 'Deletes every row, your token too, and overwrites the freed space. The next refresh starts from scratch.' }))),
      this.status);
  }

  async refresh() {}

  async exportAll() {
    try {
      const now = Date.now();
      const res = await this.ctx.hub.call({ cmd: 'export', now });
      const d = new Date(now), p = (n) => String(n).padStart(2, '0');
      const rows = Object.values(res.tables).reduce((a, t) => a + t.rows.length, 0);
      download(`hub-export-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}.json`, JSON.stringify(res), 'application/json');
      replace(this.status, 'Exported ', num(rows), ` rows from ${Object.keys(res.tables).length} tables.`);
    } catch (err) { replace(this.status, `Not exported: ${err.message}`); }
  }

  async importFile() {
    const f = this.file.files && this.file.files[0];
    this.file.value = '';
    if (!f) return;
    let data;
    try {
      data = JSON.parse(await f.text());
    } catch { replace(this.status, 'That file is not JSON.'); return; }
    const a = await ask({ title: 'Replace everything?', text: `Everything stored now is replaced with the contents of ${f.name}.`, confirm: 'Import' });
    if (!a) return;
    try {
      const r = await this.ctx.hub.call({ cmd: 'import', data });
      replace(this.status, 'Imported ', num(r.rows), ' rows.');
      await this.ctx.refreshAll();
    } catch (err) { replace(this.status, `Not imported (nothing changed): ${err.message}`); }
  }

  async purge() {
    const a = await ask({ title: 'Delete everything?', text: 'Every item, tip, reaction, run, setting and your token are deleted from this device. Export first if you may want them back.',
      confirm: 'Delete everything', danger: true, typed: 'delete' });
    if (!a) return;
    try {
      const r = await this.ctx.hub.call({ cmd: 'purge', confirm: true });
      replace(this.status, 'Deleted ', num(r.rows), ' rows.');
      await this.ctx.refreshAll();
    } catch (err) { replace(this.status, `Not deleted: ${err.message}`); }
  }

  fail() {}
}
