/*
 * console/rewards.js — the reward analytics panel: reactions per day by kind (stacked bars),
 * the cumulative reward of each serving policy over time (lines), and how every policy would
 * have done on the user's own log — replay, IPW and SNIPW with bootstrap confidence intervals
 * (all computed by the core: tip_analytics).
 */
import { h, replace } from '../ui/dom.js';
import { num } from './fmt.js';
import { table } from './table.js';
import { stacked, lines, intervals } from './chart.js';
import { tzOffsetMin } from './fmt.js';

const EST = [['replay', 'Replay'], ['ipw', 'IPW'], ['snipw', 'SNIPW']];

function ciText(ci) {
  return ci ? `[${ci[0].toFixed(3)}, ${ci[1].toFixed(3)}]` : '–';
}

export class RewardsPanel {
  constructor(el, ctx) {
    this.ctx = ctx;
    this.status = h('p', { class: 'panel-status', id: 'rewards-status', role: 'status' });
    this.content = h('div');
    replace(el,
      h('p', { class: 'panel-intro', text: 'How tips landed, day by day, and how each policy — the one serving and the shadows — would have done on your own log.' }),
      this.content, this.status);
  }

  async refresh() {
    const res = await this.ctx.hub.call({ cmd: 'tip_analytics', tz_offset_min: tzOffsetMin(), resamples: 1000, seed: 1, level: 0.95 });
    this.render(res);
  }

  reactionsChart(res) {
    const days = res.reactions_by_day;
    if (!days.length) return h('p', { class: 'empty-note', text: 'No reactions yet.' });
    const total = days.reduce((a, d) => a + res.reactions.reduce((b, k) => b + d.counts[k], 0), 0);
    const hue = { done: 4, helpful: 0, snooze: 1, not_helpful: 2, dismiss: 3 };
    return stacked(days.map((d) => ({ label: d.day, parts: d.counts })), res.reactions, {
      colors: res.reactions.map((k, i) => hue[k] ?? (5 + i)),
      caption: 'Reactions per day, by kind',
      summary: `Stacked bar chart: ${total} reactions over ${days.length} day(s).`,
      tableNode: table([{ label: 'Day' }, ...res.reactions.map((k) => ({ label: k, num: true }))],
        days.map((d) => [d.day, ...res.reactions.map((k) => num(d.counts[k]))]), { caption: 'Reactions per day', cls: 'reactions-by-day' }),
    });
  }

  rewardChart(res) {
    const days = res.reward_by_day;
    if (!days.length) return h('p', { class: 'empty-note', text: 'No tips yet.' });
    const names = Object.keys(days[days.length - 1].policies);
    return lines(days.map((d) => d.day), names.map((n) => ({ name: n, values: days.map((d) => d.policies[n].cumulative) })), {
      caption: 'Cumulative reward of each policy that served, by day',
      summary: `Line chart: cumulative reward by day for ${names.join(', ')}; at the end ${names.map((n) => `${n} ${days[days.length - 1].policies[n].cumulative}`).join(', ')}.`,
      tableNode: table([{ label: 'Day' }, ...names.flatMap((n) => [{ label: `${n} tips`, num: true }, { label: `${n} reward`, num: true }, { label: `${n} cumulative`, num: true }])],
        days.map((d) => [d.day, ...names.flatMap((n) => [num(d.policies[n].decisions), num(d.policies[n].reward), num(d.policies[n].cumulative)])]),
        { caption: 'Reward per policy per day', cls: 'reward-by-day' }),
    });
  }

  opeChart(res) {
    const rows = [];
    res.ope.forEach((o, pi) => EST.forEach(([k, label]) => {
      rows.push({ label: `${o.policy} (${o.role}) · ${label}`, value: o[k], lo: o.ci[k] ? o.ci[k][0] : NaN, hi: o.ci[k] ? o.ci[k][1] : NaN, series: pi });
    }));
    return intervals(rows, {
      caption: `Off-policy estimates on your log with ${Math.round(res.level * 100)}% bootstrap intervals (${res.resamples} resamples, seed ${res.seed})`,
      summary: `Interval chart: estimated reward per tip for ${res.ope.map((o) => `${o.policy} IPW ${Number.isFinite(o.ipw) ? o.ipw.toFixed(3) : 'none'}`).join(', ')}.`,
      tableNode: null,
      labelWidth: 260,
    });
  }

  opeTable(res) {
    return table(
      [{ label: 'Policy' }, { label: 'Role' }, { label: 'Events', num: true }, { label: 'Matched', num: true },
        { label: 'Replay', num: true }, { label: 'CI', num: true }, { label: 'IPW', num: true }, { label: 'CI', num: true },
        { label: 'SNIPW', num: true }, { label: 'CI', num: true }, { label: 'Logged mean', num: true }],
      res.ope.map((o) => [o.policy, h('span', { class: ['role', `role-${o.role}`], text: o.role }), num(o.events), num(o.matched),
        num(o.replay, 3), h('span', { class: 'ci', text: ciText(o.ci.replay) }), num(o.ipw, 3), h('span', { class: 'ci', text: ciText(o.ci.ipw) }),
        num(o.snipw, 3), h('span', { class: 'ci', text: ciText(o.ci.snipw) }), num(o.logged, 3)]),
      { caption: 'Off-policy estimates', hideCaption: true, cls: 'ope', rowAttrs: (i) => ({ dataset: { policy: res.ope[i].policy } }) });
  }

  render(res) {
    replace(this.content,
      h('div', { class: 'charts two' }, this.reactionsChart(res), this.rewardChart(res)),
      h('h3', { text: 'How each policy would have done' }),
      h('p', { class: 'panel-intro', text: 'From the tips you reacted to: replay keeps the tips where the policy agrees; IPW and SNIPW weigh every tip by how likely the policy was to pick it.' }),
      this.opeTable(res), this.opeChart(res));
  }

  fail(err) { replace(this.status, `Could not read the rewards: ${err.message || err}`); }
}
