/*
 * ui/outbox.js — Settings' view of the outbox: what GitHub is still to be told about the
 * user's triage (done, read, mute), and what was told, dropped or cancelled lately, from the
 * core's `outbox` command. Pure builder: renderOutbox(el, answer). Every string is data and
 * only reaches textContent. Part of the page layer (web/ui).
 */
import { h, replace } from './dom.js';
import { ago, plural } from './format.js';

const ACTION = { read: 'mark read', done: 'mark done', mute: 'mute', read_all: 'mark everything read' };
const STATE = {
  pending: 'waiting for the next refresh', sent: 'told', dropped: 'dropped', cancelled: 'not needed',
};
const SHOWN = 30;

/* res: {entries: [{key, action, method, path, state, attempts, last_error, note, updated_at}],
 * counts: {pending, sent, dropped, cancelled}}; null while loading. */
export function renderOutbox(el, res, error) {
  if (error) { replace(el, h('p', { class: 'hint problem', text: 'Could not read the outbox: ' + String(error).slice(0, 200) })); return; }
  if (!res) { replace(el, h('p', { class: 'hint', text: 'Loading…' })); return; }
  const c = res.counts || {};
  const entries = Array.isArray(res.entries) ? res.entries : [];
  const pending = Number(c.pending) || 0;
  const summary = pending
    ? `${plural(pending, 'change')} waiting: GitHub is told at the next refresh.`
    : 'Nothing waiting: GitHub knows everything you triaged.';
  const rest = ['sent', 'dropped', 'cancelled'].filter((k) => Number(c[k]) > 0).map((k) => `${c[k]} ${STATE[k]}`).join(' · ');
  replace(el,
    h('p', { class: 'hint outbox-summary', text: summary + (rest ? ` Lately: ${rest}.` : '') }),
    entries.length ? h('ul', { class: 'outbox-list' }, entries.slice(0, SHOWN).map((e) => {
      const state = typeof e.state === 'string' ? e.state : '';
      const why = [e.last_error, e.note].filter((x) => typeof x === 'string' && x).join(' — ').slice(0, 200);
      return h('li', { class: ['outbox-item', 'is-' + state.replace(/[^a-z]/g, '')], dataset: { state } },
        h('span', { class: 'outbox-what' },
          h('strong', { text: ACTION[e.action] || String(e.action || '').slice(0, 20) }), ' ',
          h('span', { class: 'outbox-key', text: String(e.key || e.path || '').replace(/^github\.com\//, '').slice(0, 120) })),
        h('span', { class: 'outbox-state', text: (STATE[state] || state) + (Number(e.attempts) > 1 ? ` · ${e.attempts} tries` : '') + (e.updated_at ? ` · ${ago(Math.round(e.updated_at / 1000))}` : '') }),
        why ? h('span', { class: ['outbox-why', (state === 'dropped' || e.last_error) && 'is-error'], text: why }) : null);
    })) : null);
}
