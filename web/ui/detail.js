/*
 * ui/detail.js — the inside of an expanded card: why it scored what it did, who is on
 * it, and its body.
 *
 * Pure builders: each takes a detailed card (hub.call({cmd:'card'})) and returns DOM. A
 * good-first issue's card may carry what the AI queue wrote (card.ai: intro, difficulty 1–5,
 * first steps; card.repo_summary): shown above the body, marked with the model that wrote it.
 */
import { h, safeHttpUrl, extLink } from './dom.js';
import { factor, fullDate, ago, count } from './format.js';
import { renderBody } from './body.js';
import * as icons from './icons.js';

function days(d) {
  const v = Number(d);
  if (!Number.isFinite(v)) return '?';
  if (v < 1) return `${Math.max(1, Math.round(v * 24))} h`;
  return `${v < 10 ? v.toFixed(1).replace(/\.0$/, '') : Math.round(v)} d`;
}

/* Returns the factor equation: recency × engagement × labels × contributor = score, with
 * × activity before the score for good-first issues (their repo's activity). */
export function renderFactors(card, user) {
  const f = card?.factors || {};
  const labels = Array.isArray(card?.labels) ? card.labels : [];
  const isYou = user && card?.author && String(card.author).toLowerCase() === String(user).toLowerCase();
  const terms = [
    ['recency', f.recency, `updated ${days(f.age_days)} ago; fades over ${days(f.decay_days)}`],
    ['engagement', f.engagement, `${count(card?.comments)} comments, ${count(card?.reactions)} reactions`],
    ['labels', f.labels, Number(f.labels) === 1 ? 'no weighted label' : labels.slice(0, 4).join(', ')],
    ['contributor', f.contributor, isYou ? 'you wrote it' : (card?.author ? `by ${String(card.author).slice(0, 40)}` : '')],
  ];
  if (f.activity !== undefined && f.activity !== null) {
    terms.push(['activity', f.activity, "how many of the repo's issues moved lately"]);
  }
  const eq = h('div', { class: 'factors', role: 'group', 'aria-label': 'Score factors' });
  terms.forEach(([name, val, why], i) => {
    if (i) eq.append(h('span', { class: 'op', 'aria-hidden': 'true', text: '×' }));
    eq.append(h('div', { class: 'factor', title: why },
      h('span', { class: 'factor-val', text: factor(val) }),
      h('span', { class: 'factor-name', text: name }),
      h('span', { class: 'factor-why', text: why })));
  });
  eq.append(h('span', { class: 'op', 'aria-hidden': 'true', text: '=' }));
  eq.append(h('div', { class: 'factor factor-total' },
    h('span', { class: 'factor-val', text: factor(f.score ?? card?.score) }),
    h('span', { class: 'factor-name', text: 'score' })));
  return eq;
}

/* Returns the AI queue's help for a first contribution, or null when there is none. */
export function renderAiHelp(card) {
  const ai = card?.ai && typeof card.ai === 'object' ? card.ai : null;
  const sum = card?.repo_summary && typeof card.repo_summary.summary === 'string' ? card.repo_summary : null;
  if (!ai && !sum) return null;
  const box = h('section', { class: 'ai-help', 'aria-label': 'Help for a first contribution' });
  if (ai) {
    const d = Math.min(5, Math.max(1, Math.round(Number(ai.difficulty)) || 1));
    const steps = (Array.isArray(ai.first_steps) ? ai.first_steps : []).filter((x) => typeof x === 'string').slice(0, 5);
    box.append(
      h('div', { class: 'ai-head' },
        h('h3', { class: 'ai-title', text: 'For a first contribution' }),
        h('span', { class: 'ai-difficulty', title: `Difficulty ${d} of 5`, 'aria-label': `Difficulty ${d} of 5` },
          h('span', { class: 'ai-label', text: 'Difficulty' }),
          h('span', { class: 'ai-dots', 'aria-hidden': 'true' }, [1, 2, 3, 4, 5].map((i) => h('span', { class: ['ai-dot', i <= d && 'is-on'] }))),
          h('span', { class: 'ai-num', text: `${d}/5` }))),
      h('p', { class: 'ai-intro', text: String(ai.intro ?? '').slice(0, 800) }),
      steps.length ? h('ol', { class: 'ai-steps' }, steps.map((x) => h('li', { text: x.slice(0, 240) }))) : null);
  }
  if (sum) box.append(h('h3', { class: 'ai-title', text: 'About the project' }), h('p', { class: 'ai-summary', text: sum.summary.slice(0, 900) }));
  const model = (ai || sum).model;
  box.append(h('p', { class: 'ai-by', text: `Written by ${typeof model === 'string' ? model.slice(0, 60) : 'an LLM'}` }));
  return box;
}

/* Returns the detail panel: facts, body, and an "Open on <host>" link. */
export function renderDetail(card) {
  const facts = h('dl', { class: 'facts' });
  const fact = (k, v, title) => { if (v) facts.append(h('div', null, h('dt', { text: k }), h('dd', { text: v, title }))); };
  fact('State', card.state ? String(card.state).slice(0, 20) : '');
  fact('Author', card.author ? String(card.author).slice(0, 60) : '');
  const assignees = Array.isArray(card.assignees) ? card.assignees.filter((a) => typeof a === 'string') : [];
  fact('Assignees', assignees.slice(0, 10).join(', '));
  fact('Opened', card.created_at ? ago(card.created_at) : '', fullDate(card.created_at));
  fact('Updated', card.updated_at ? ago(card.updated_at) : '', fullDate(card.updated_at));

  const url = safeHttpUrl(card.url, true);
  /* an AT Protocol record (tangled) has no web page to open: show its address as text */
  if (!url && typeof card.url === 'string' && card.url.startsWith('at://')) {
    facts.append(h('div', { class: 'fact-wide' }, h('dt', { text: 'Record' }), h('dd', null, h('code', { text: card.url.slice(0, 300) }))));
  }
  return h('div', { class: 'detail' },
    facts,
    renderAiHelp(card),
    renderBody(card),
    url ? h('div', { class: 'detail-actions' },
      extLink(url, { class: 'btn btn-small' }, icons.external(), h('span', { text: 'Open on ' + new URL(url).host }))) : null);
}
