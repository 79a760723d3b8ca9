/*
 * console/quality.js — the data quality panel: how complete the items are (missing feature
 * inputs, bodies), validators kept under a credential no longer in use, the sources whose last
 * run failed, the rate-limit headroom per resource, and how many syncs completed per day.
 */
import { h, replace } from '../ui/dom.js';
import { num, pct, when } from './fmt.js';
import { table } from './table.js';
import { hbars, stacked } from './chart.js';
import { tzOffsetMin } from './fmt.js';

const STATUSES = ['ok', 'partial', 'error', 'offline', 'aborted'];

function fact(id, label, value) {
  return h('div', { class: 'fact', id }, h('dt', { text: label }), h('dd', null, value));
}

export class QualityPanel {
  constructor(el, ctx) {
    this.ctx = ctx;
    this.status = h('p', { class: 'panel-status', id: 'quality-status', role: 'status' });
    this.content = h('div');
    replace(el, h('p', { class: 'panel-intro', text: 'How much hub can trust what it stored.' }), this.content, this.status);
  }

  async refresh() {
    this.render(await this.ctx.hub.call({ cmd: 'data_quality', tz_offset_min: tzOffsetMin(), days: 14 }));
  }

  render(q) {
    const it = q.items, v = q.validators;
    const facts = h('dl', { class: 'facts-grid', id: 'quality-facts' },
      fact('q-open', 'Open items', num(it.open)),
      fact('q-missing-rate', 'Missing a feature input', pct(it.missing_rate, 1)),
      fact('q-missing-any', 'Items missing one', num(it.missing_any)),
      fact('q-no-created', 'No creation time', num(it.missing.created_at)),
      fact('q-no-updated', 'No update time', num(it.missing.updated_at)),
      fact('q-no-author', 'No author', num(it.missing.author)),
      fact('q-no-reasons', 'No reason', num(it.missing.reasons)),
      fact('q-no-body', 'Items without a body', num(it.without_body)),
      fact('q-validators', 'Validators (ETags)', num(v.total)),
      fact('q-stale', 'Stale validators (another credential)', num(v.other_credential)),
      fact('q-no-validator', 'Validators with no ETag or date', num(v.without_validator)));
    const sources = table([{ label: 'Source' }, { label: 'Last run', num: true }, { label: 'Failed' }, { label: 'Errors', num: true }, { label: 'First error' }],
      q.sources.map((s) => [s.label, num(s.run), h('span', { class: s.failed ? 'bad' : s.run ? 'good' : 'muted', text: s.failed ? 'failed' : s.run ? 'ok' : 'not run' }),
        num(s.errors), s.first_error || '']),
      { caption: 'Sources in their last run', cls: 'sources', rowAttrs: (i) => ({ dataset: { source: q.sources[i].source } }) });
    const res = q.limits.resources;
    const limits = res.length
      ? hbars(res.map((r) => ({ label: r.resource, value: r.headroom })), {
        caption: 'Rate-limit headroom per resource: the share left at its latest reading',
        format: (x) => `${Math.round(x * 100)}%`,
        summary: `Bar chart of the share of each rate limit left: ${res.map((r) => `${r.resource} ${Math.round(r.headroom * 100)}%`).join(', ')}.`,
        tableNode: table([{ label: 'Resource' }, { label: 'Remaining', num: true }, { label: 'Limit', num: true }, { label: 'Headroom', num: true }, { label: 'Resets' }, { label: 'Run', num: true }],
          res.map((r) => [r.resource, num(r.remaining), num(r.limit), pct(r.headroom, 1), when(r.reset * 1000), num(r.run)]), { caption: 'Rate limits', cls: 'limits' }),
        labelWidth: 120,
      })
      : h('p', { class: 'empty-note', text: 'No rate-limit headers read yet.' });
    const days = q.syncs_by_day;
    const syncs = days.length
      ? stacked(days.map((d) => ({ label: d.day, parts: Object.fromEntries(STATUSES.map((s) => [s, d[s]])) })), STATUSES, {
        colors: [4, 1, 3, 5, 2],
        caption: 'Syncs per day by outcome (complete = ok)',
        summary: `Stacked bar chart of ${days.reduce((a, d) => a + d.runs, 0)} syncs over ${days.length} day(s).`,
        tableNode: table([{ label: 'Day' }, { label: 'Runs', num: true }, ...STATUSES.map((s) => ({ label: s, num: true })), { label: 'Complete', num: true }],
          days.map((d) => [d.day, num(d.runs), ...STATUSES.map((s) => num(d[s])), pct(d.complete)]), { caption: 'Syncs per day', cls: 'syncs-by-day' }),
      })
      : h('p', { class: 'empty-note', text: 'No finished syncs yet.' });
    replace(this.content, facts, sources, h('div', { class: 'charts two' }, limits, syncs));
  }

  fail(err) { replace(this.status, `Could not read the data quality: ${err.message || err}`); }
}
