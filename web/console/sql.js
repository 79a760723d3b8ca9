/*
 * console/sql.js — the read-only SQL panel: one statement over the local database through the
 * core's `sql` command (which refuses every write and caps rows and work), saved queries
 * (the `saved_queries` command; the ones hub ships with first), results as a table, and the
 * result as CSV. Ctrl+Enter runs.
 */
import { h, replace } from '../ui/dom.js';
import { num } from './fmt.js';
import { table, cellText, toCSV, download } from './table.js';

export class SqlPanel {
  constructor(el, ctx) {
    this.ctx = ctx;
    this.result = null;
    this.saved = h('select', { id: 'sql-saved', 'aria-label': 'Saved queries', on: { change: () => this.pick() } });
    this.text = h('textarea', { id: 'sql-text', rows: 5, spellcheck: 'false', autocapitalize: 'off', 'aria-label': 'SQL statement',
      on: { keydown: (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); this.run(); } } } });
    this.limit = h('input', { type: 'number', id: 'sql-limit', min: 1, max: 5000, value: 500, 'aria-label': 'Row limit' });
    this.name = h('input', { type: 'text', id: 'sql-name', placeholder: 'Name', 'aria-label': 'Name to save the query under', maxlength: 80 });
    this.runBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'sql-run', text: 'Run', on: { click: () => this.run() } });
    this.csvBtn = h('button', { type: 'button', class: 'btn', id: 'sql-csv', text: 'Download CSV', disabled: true, on: { click: () => this.csv() } });
    this.saveBtn = h('button', { type: 'button', class: 'btn', id: 'sql-save', text: 'Save', on: { click: () => this.save() } });
    this.delBtn = h('button', { type: 'button', class: 'btn btn-danger', id: 'sql-delete', text: 'Delete saved', disabled: true, on: { click: () => this.remove() } });
    this.status = h('p', { class: 'panel-status', id: 'sql-status', role: 'status', 'aria-live': 'polite' });
    this.out = h('div', { class: 'scroll', id: 'sql-out' });
    replace(el,
      h('p', { class: 'panel-intro', text: 'Ask the local database anything — it only reads: SELECT, WITH, VALUES and reading PRAGMAs. Writes are refused; a query stops after its share of work.' }),
      h('div', { class: 'controls' }, this.saved, this.delBtn),
      this.text,
      h('div', { class: 'controls' }, this.runBtn, h('label', { class: 'inline' }, 'Rows ', this.limit), this.csvBtn, h('span', { class: 'spacer' }), this.name, this.saveBtn),
      this.status, this.out);
  }

  async refresh() {
    const res = await this.ctx.hub.call({ cmd: 'saved_queries' });
    this.queries = res.queries;
    const keep = this.saved.value;
    replace(this.saved, h('option', { value: '', text: 'Saved queries…' }),
      ...this.queries.map((q) => h('option', { value: q.name, text: q.builtin ? q.name : `${q.name} (yours)` })));
    if (this.queries.some((q) => q.name === keep)) this.saved.value = keep;
    if (!this.text.value && this.queries.length) {
      this.saved.value = this.queries[0].name;
      this.pick();
    }
  }

  pick() {
    const q = (this.queries || []).find((x) => x.name === this.saved.value);
    this.delBtn.disabled = !q || q.builtin;
    if (!q) return;
    this.text.value = q.sql;
    this.name.value = q.builtin ? '' : q.name;
  }

  async run() {
    const limit = Math.max(1, Math.min(5000, Number(this.limit.value) || 500));
    this.runBtn.disabled = true;
    this.out.setAttribute('aria-busy', 'true');
    try {
      const res = await this.ctx.hub.call({ cmd: 'sql', sql: this.text.value, limit });
      this.result = res;
      this.csvBtn.disabled = false;
      this.status.className = 'panel-status';
      replace(this.status, `${res.row_count} row${res.row_count === 1 ? '' : 's'}${res.truncated ? ` (the first ${res.limit}; more were left out)` : ''}` +
        `${res.cut ? ' · long values cut' : ''} · ${res.steps ? `about ${res.steps.toLocaleString('en-US')}` : 'under 1,000'} steps of the ${res.step_cap.toLocaleString('en-US')} a query may take`);
      replace(this.out, table(res.columns.map((c) => ({ label: c })),
        res.rows.map((r) => r.map((v) => (typeof v === 'number' ? h('span', { class: 'num', dataset: { v: String(v) }, text: String(v) })
          : v === null ? h('span', { class: 'null', text: 'NULL' }) : cellText(v)))),
        { caption: 'Result', hideCaption: true, cls: 'sqlres' }));
    } catch (err) {
      this.result = null;
      this.csvBtn.disabled = true;
      this.status.className = 'panel-status bad';
      this.status.dataset.code = err.code || '';
      replace(this.status, err.message || String(err));
      replace(this.out);
    } finally {
      this.runBtn.disabled = false;
      this.out.removeAttribute('aria-busy');
    }
  }

  csv() {
    if (!this.result) return;
    download('hub-query.csv', toCSV(this.result.columns, this.result.rows), 'text/csv');
  }

  async save() {
    const name = this.name.value.trim();
    if (!name) { this.name.focus(); replace(this.status, 'Name the query to save it.'); return; }
    try {
      await this.ctx.hub.call({ cmd: 'saved_queries', set: { name, sql: this.text.value } });
      this.saved.value = name;
      await this.refresh();
      this.saved.value = name;
      this.pick();
      replace(this.status, `Saved as “${name}”.`);
    } catch (err) { replace(this.status, `Not saved: ${err.message}`); }
  }

  async remove() {
    const name = this.saved.value;
    if (!name) return;
    try {
      await this.ctx.hub.call({ cmd: 'saved_queries', set: { name, sql: null } });
      this.saved.value = '';
      await this.refresh();
      replace(this.status, `Deleted “${name}”.`);
    } catch (err) { replace(this.status, `Not deleted: ${err.message}`); }
  }

  fail(err) { replace(this.status, `Could not read the saved queries: ${err.message || err}`); }
}
