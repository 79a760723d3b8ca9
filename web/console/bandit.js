/*
 * console/bandit.js — the bandit panel: per policy its role, pulls, cumulative and mean
 * reward; θ by named feature (a bar chart); the confidence width of the last decisions; and
 * the controls — enable / disable a policy, choose the one that serves (the others shadow),
 * reset the model (asked first; the core logs it as a "tip.reset" event).
 */
import { h, replace } from '../ui/dom.js';
import { num } from './fmt.js';
import { table } from './table.js';
import { hbars } from './chart.js';
import { ask } from './dialog.js';

export class BanditPanel {
  constructor(el, ctx) {
    this.ctx = ctx;
    this.el = el;
    this.status = h('p', { class: 'panel-status', id: 'bandit-status', role: 'status' });
    this.content = h('div');
    replace(el,
      h('p', { class: 'panel-intro', text: 'LinUCB and the other policies: what each served and earned, what the model has learned per feature, and how unsure it still is.' }),
      this.content, this.status);
  }

  async refresh() {
    const res = await this.ctx.hub.call({ cmd: 'console_bandit', recent: 20 });
    this.data = res;
    this.render(res);
  }

  async setPolicies(set, said) {
    try {
      await this.ctx.hub.call({ cmd: 'tip_policies', set });
      replace(this.status, said);
      await this.refresh();
    } catch (err) { replace(this.status, `Not changed: ${err.message}`); }
  }

  async reset() {
    const a = await ask({ title: 'Reset the model?', text: 'The model forgets everything it learned from your reactions and starts again from its prior.',
      confirm: 'Reset', danger: true, option: 'Also forget the recommendation log' });
    if (!a) return;
    try {
      const r = await this.ctx.hub.call({ cmd: 'tip_reset', logs: a.option });
      replace(this.status, `Reset: ${r.models} model(s) forgotten${a.option ? `, ${r.decisions} logged tips` : ''}.`);
      await this.ctx.refreshAll();
    } catch (err) { replace(this.status, `Not reset: ${err.message}`); }
  }

  policiesTable(res) {
    return table(
      [{ label: 'Policy' }, { label: 'Role' }, { label: 'Enabled' }, { label: 'Serves' }, { label: 'Pulls', num: true },
        { label: 'Rewarded', num: true }, { label: 'Cumulative reward', num: true }, { label: 'Mean reward', num: true }],
      res.policies.map((p) => [
        h('span', { title: p.description, text: p.name }),
        h('span', { class: ['role', `role-${p.role}`], text: p.role }),
        h('input', { type: 'checkbox', checked: p.enabled, 'aria-label': `${p.name} enabled`, dataset: { policy: p.name },
          on: { change: (e) => this.setPolicies({ enabled: { [p.name]: e.target.checked } }, `${p.name} ${e.target.checked ? 'enabled' : 'disabled'}.`) } }),
        h('input', { type: 'radio', name: 'serve', checked: res.serve === p.name, 'aria-label': `${p.name} serves`, dataset: { policy: p.name },
          on: { change: () => this.setPolicies({ serve: p.name }, `${p.name} serves now; the others shadow.`) } }),
        num(p.pulls), num(p.rewarded), num(p.reward_sum), num(p.reward_mean)]),
      { caption: 'Policies', hideCaption: true, cls: 'policies', rowAttrs: (i) => ({ dataset: { policy: res.policies[i].name } }) });
  }

  thetaChart(m) {
    const items = m.features.map((f) => ({ label: f.label || f.name, value: f.theta }));
    const top = [...m.features].sort((a, b) => b.theta - a.theta)[0];
    return hbars(items, {
      caption: `θ by feature after ${m.updates} update${m.updates === 1 ? '' : 's'} (α ${m.alpha}, λ ${m.lambda}, γ ${m.gamma})`,
      summary: `Bar chart of the model's weight per feature; the largest is ${top.label || top.name} at ${top.theta.toFixed(3)}.`,
      tableNode: table([{ label: 'Feature' }, { label: 'Name' }, { label: 'θ', num: true }],
        m.features.map((f) => [f.label || '(mood)', h('code', { text: f.name }), num(f.theta, 4)]), { caption: 'θ by feature', cls: 'theta' }),
    });
  }

  widthsChart(ws) {
    const items = ws.filter((w) => Number.isFinite(w.width_now)).map((w) => ({ label: `#${w.decision} ${w.policy}`, value: w.width_now }));
    if (!items.length) return h('p', { class: 'empty-note', text: 'No tips yet: no confidence widths to show.' });
    return hbars(items, {
      caption: 'Confidence width α·√(xᵀA⁻¹x) of the last tips, under the model as it is now (the logged bonus in the table)',
      summary: `Bar chart of the confidence width of the last ${items.length} tips under the current model.`,
      tableNode: table([{ label: 'Tip', num: true }, { label: 'Policy' }, { label: 'Item' }, { label: 'Bonus when served', num: true },
        { label: 'Width now', num: true }, { label: 'Mean now', num: true }],
      ws.map((w) => [num(w.decision), w.policy, w.key, num(w.bonus, 4), num(w.width_now, 4), num(w.mean_now, 4)]), { caption: 'Confidence widths', cls: 'widths' }),
    });
  }

  render(res) {
    const resetBtn = h('button', { type: 'button', class: 'btn btn-danger', id: 'bandit-reset', text: 'Reset the model…', on: { click: () => this.reset() } });
    replace(this.content,
      h('p', { class: 'facts-line' }, 'Serving: ', h('strong', { id: 'bandit-serve', text: res.serve }), ` · exploration ${res.explore}, ε `, num(res.epsilon), ', α ', num(res.alpha)),
      this.policiesTable(res),
      h('div', { class: 'charts two' },
        res.model ? this.thetaChart(res.model) : h('p', { class: 'empty-note', text: 'No model stored yet (or it could not be read).' }),
        this.widthsChart(res.widths)),
      h('div', { class: 'controls' }, resetBtn));
  }

  fail(err) { replace(this.status, `Could not read the bandit: ${err.message || err}`); }
}
