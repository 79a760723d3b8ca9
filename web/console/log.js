/*
 * console/log.js — the recommendation log panel: every tip with its policy, score, UCB bonus,
 * propensity, latency, how many candidates it beat, and the reaction that followed; a row
 * opens the tip's features, the runners-up it beat, and what each shadow policy would have
 * chosen. Pages back with the core's `before` cursor.
 */
import { h, replace } from '../ui/dom.js';
import { num, when } from './fmt.js';
import { table } from './table.js';

const PAGE = 20;

function reactionCell(d) {
  if (!d.reactions.length) return h('span', { class: 'muted', text: 'no reaction yet' });
  return d.reactions.map((r, i) => [i ? ', ' : '', h('span', { class: ['reaction', `r-${r.reaction}`], text: r.reaction })]);
}

function details(d) {
  const feats = Object.entries(d.features);
  return h('div', { class: 'tip-details' },
    h('p', null, h('strong', { text: 'Why: ' }), d.why || '–', d.explored ? ' (explored: not the policy’s own first choice)' : ''),
    d.fallback.length ? h('p', { text: `Fell back past: ${d.fallback.join(', ')}` }) : null,
    h('div', { class: 'cols' },
      table([{ label: 'Feature' }, { label: 'x', num: true }], feats.map(([k, v]) => [h('code', { text: k }), num(v, 3)]), { caption: 'Features of the tip', cls: 'feat' }),
      table([{ label: 'Beat' }, { label: 'Score', num: true }, { label: 'p', num: true }],
        d.beat.map((b) => [b.key, num(b.score, 4), num(b.p, 4)]), { caption: `The best of the ${d.candidates - 1} candidates it beat`, cls: 'beat' }),
      table([{ label: 'Policy' }, { label: 'Would choose' }, { label: 'p(tip)', num: true }, { label: 'Score', num: true }],
        Object.entries(d.policies).map(([name, p]) => [name, p.choice === d.key ? 'the same' : p.choice, num(p.p, 4), num(p.score, 4)]),
        { caption: 'Every policy on this tip (served and shadows)', cls: 'shadows' })));
}

export class LogPanel {
  constructor(el, ctx) {
    this.ctx = ctx;
    this.items = [];
    this.next = null;
    this.open = new Set();
    this.policy = h('select', { id: 'log-policy', 'aria-label': 'Served by', on: { change: () => this.refresh() } },
      h('option', { value: '', text: 'Every policy' }));
    this.more = h('button', { type: 'button', class: 'btn btn-small', id: 'log-more', text: 'Older tips', hidden: true, on: { click: () => this.loadMore() } });
    this.status = h('p', { class: 'panel-status', id: 'log-status', role: 'status' });
    this.list = h('div', { class: 'scroll', id: 'log-list' });
    replace(el,
      h('p', { class: 'panel-intro', text: 'Every tip and why it was chosen. Open a row to see the features, the runners-up, and what the shadow policies would have picked.' }),
      h('div', { class: 'controls' }, this.policy), this.status, this.list, h('div', { class: 'controls' }, this.more));
  }

  request(before) {
    const req = { cmd: 'tip_log', limit: PAGE };
    if (before) req.before = before;
    if (this.policy.value) req.policy = this.policy.value;
    return this.ctx.hub.call(req);
  }

  async refresh() {
    if (this.policy.options.length === 1) { /* the policies' names, from the core */
      const pol = await this.ctx.hub.call({ cmd: 'tip_policies' });
      for (const p of pol.policies) this.policy.appendChild(h('option', { value: p.name, text: p.name }));
    }
    const res = await this.request(null);
    this.items = res.decisions;
    this.next = res.next_before;
    this.total = res.total;
    this.render();
  }

  async loadMore() {
    if (!this.next) return;
    const res = await this.request(this.next);
    this.items = this.items.concat(res.decisions);
    this.next = res.next_before;
    this.render();
  }

  toggle(id) {
    if (this.open.has(id)) this.open.delete(id);
    else this.open.add(id);
    this.render();
  }

  render() {
    replace(this.status, `${this.items.length} of ${this.total} tips`);
    this.status.dataset.total = String(this.total);
    this.more.hidden = !this.next;
    if (!this.items.length) {
      replace(this.list, h('p', { class: 'empty-note', text: 'No tips yet. Open “One tip” from the inbox (t).' }));
      return;
    }
    const cols = [{ label: 'Tip', num: true }, { label: 'When' }, { label: 'Item' }, { label: 'Policy' }, { label: 'Score', num: true },
      { label: 'UCB bonus', num: true }, { label: 'Propensity', num: true }, { label: 'Latency (µs)', num: true },
      { label: 'Candidates', num: true }, { label: 'Reaction' }, { label: 'Reward', num: true }];
    const rows = [];
    const attrs = [];
    for (const d of this.items) {
      const openBtn = h('button', { type: 'button', class: 'linkish', 'aria-expanded': String(this.open.has(d.decision)),
        on: { click: () => this.toggle(d.decision) } }, d.title || d.key);
      rows.push([num(d.decision), when(d.at), h('span', null, openBtn, h('span', { class: 'key', text: d.key })), d.policy,
        num(d.score, 4), num(d.bonus, 4), num(d.propensity, 4), num(d.latency_us), num(d.candidates), reactionCell(d), num(d.reward)]);
      attrs.push({ dataset: { decision: String(d.decision) } });
      if (this.open.has(d.decision)) {
        rows.push([h('span'), details(d)]);
        attrs.push({ class: 'detail-row' });
      }
    }
    const t = table(cols, rows, { caption: 'Tips, newest first', hideCaption: true, cls: 'tiplog', rowAttrs: (i) => attrs[i] });
    for (const tr of t.querySelectorAll('tr.detail-row')) tr.lastElementChild.colSpan = cols.length - 1; /* t: the table's wrapper */
    replace(this.list, t);
  }

  fail(err) { replace(this.status, `Could not read the log: ${err.message || err}`); }
}
