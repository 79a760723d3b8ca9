/*
 * ui/tip-learned.js — the quiet line that shows the tip model learning.
 *
 * render(el, stats) turns the core's tip_stats answer into "Learned from 12 reactions ·
 * leans toward review requests, bugs" with the reaction counts as a tooltip. The leanings
 * are the features with the largest positive weights (θ) in the user's LinUCB model,
 * named in the core's own words (tip_stats' feature_labels). Part of the page layer (web/ui).
 */
import { h, replace } from './dom.js';
import { plural } from './format.js';


/* Returns up to n feature words with the largest positive weights. */
export function leanings(stats, n = 2) {
  const theta = stats?.model?.theta;
  const names = stats?.feature_labels;
  if (!Array.isArray(theta) || !Array.isArray(names)) return [];
  return theta
    .map((w, i) => ({ w: Number(w), word: typeof names[i] === 'string' ? names[i] : null }))
    .filter((e) => e.word && Number.isFinite(e.w) && e.w > 0.02)
    .sort((a, b) => b.w - a.w)
    .slice(0, n)
    .map((e) => e.word);
}

/* el: the footer's paragraph; stats: tip_stats answer (or null when unavailable). */
export function renderLearned(el, stats) {
  const r = stats?.reactions || {};
  const total = ['done', 'snooze', 'dismiss', 'helpful', 'not_helpful']
    .reduce((a, k) => a + (Number.isFinite(r[k]) ? r[k] : 0), 0);
  const updates = Number.isFinite(stats?.model?.updates) ? stats.model.updates : total;
  el.dataset.reactions = String(updates);
  if (!stats) { replace(el); return; }
  if (!updates) {
    replace(el, 'Learns from every reaction.');
    el.title = '';
    return;
  }
  const lean = leanings(stats);
  replace(el,
    h('span', { class: 'learned-n' }, 'Learned from ', h('strong', { text: plural(updates, 'reaction') })),
    lean.length ? h('span', { class: 'learned-lean' }, ' · leans toward ', lean.join(', ')) : null);
  el.title = `done ${r.done || 0} · snoozed ${r.snooze || 0} · dismissed ${r.dismiss || 0} · ` +
    `helpful ${r.helpful || 0} · not helpful ${r.not_helpful || 0}`;
}
