/*
 * ui/tip-view.js — draws the one tip, the snooze presets and the empty state.
 *
 * TipView owns the stage element: show(res) renders the core's `tip` answer (title as
 * text, repo#number and kind, labels, the core's "why", an https-only link) with the
 * reaction buttons; empty() renders "Inbox zero"; error() says what went wrong. Buttons
 * call the handlers given to the constructor, the same ones the keys call. Every string
 * from the item is hostile: it only ever reaches textContent or a checked href.
 * Part of the page layer (web/ui).
 */
import { h, replace, safeHttpUrl, extLink } from './dom.js';
import * as icons from './icons.js';

const MAX_TITLE = 400;
const MAX_LABELS = 8;

function str(v, max = 200) {
  return typeof v === 'string' ? v.slice(0, max) : '';
}

function labelName(l) {
  if (typeof l === 'string') return l;
  if (l && typeof l.name === 'string') return l.name;
  return '';
}

function kbd(k) { return h('kbd', { 'aria-hidden': 'true', text: k }); }

export class TipView {
  /* stage: the element the tip lives in; on: {done, snooze, dismiss, helpful, notHelpful,
   * preset(p), closeSnooze} handlers. */
  constructor(stage, on) {
    this.stage = stage;
    this.on = on;
    this.menu = null;
    this.snoozeBtn = null;
    this.link = null;
  }

  get snoozeOpen() { return !!this.menu && !this.menu.hidden; }

  /* res: the core's tip answer with a non-null tip; presets: snoozePresets(now). */
  show(res, presets) {
    const t = res.tip;
    const isPull = t.kind === 'pull';
    const kindLabel = isPull ? 'Pull request' : 'Issue';
    const repo = str(t.repo, 140);
    const num = Number.isFinite(t.number) && t.number > 0 ? `#${t.number}` : '';
    const url = safeHttpUrl(t.url, true);
    const title = str(t.title, MAX_TITLE) || '(untitled)';
    const labels = (Array.isArray(t.labels) ? t.labels : []).map(labelName).filter(Boolean).slice(0, MAX_LABELS);

    const meta = h('p', { class: 'tip-meta' },
      h('span', { class: ['tip-kind', isPull ? 'is-pull' : 'is-issue'] }, isPull ? icons.pull() : icons.issue(), kindLabel),
      h('span', { class: 'tip-dot', 'aria-hidden': 'true', text: '·' }),
      h('span', { class: 'tip-repo' }, repo, num ? h('span', { class: 'tip-num', text: num }) : null));

    const heading = h('h1', { class: 'tip-title', id: 'tip-title', tabindex: '-1', text: title });

    const labelList = labels.length
      ? h('ul', { class: 'tip-labels', 'aria-label': 'Labels' }, labels.map((l) => h('li', { text: l.slice(0, 60) })))
      : null;

    const why = h('p', { class: 'tip-why' },
      h('span', { class: 'tip-why-lead', text: 'Why this one' }),
      h('span', { class: 'tip-why-text', text: str(res.why, 200) || 'a fresh pick' }));

    this.link = url
      ? extLink(url, { class: 'tip-open', title: 'Open (o)' }, 'Open ', isGithub(url) ? 'on GitHub' : 'the item', icons.external())
      : null;

    const btn = (cls, label, key, fn, extra) => h('button', {
      type: 'button', class: ['tbtn', cls], 'aria-keyshortcuts': key === '−' ? '-' : key,
      on: { click: fn }, ...extra,
    }, h('span', { text: label }), kbd(key));

    this.snoozeBtn = btn('tbtn-snooze', 'Snooze', 's', () => this.toggleSnooze(), {
      'aria-expanded': 'false', 'aria-controls': 'snooze-menu', dataset: { act: 'snooze' },
    });
    const actions = h('div', { class: 'tip-actions', role: 'group', 'aria-label': 'Reactions' },
      btn('tbtn-done', 'Done', 'e', this.on.done, { dataset: { act: 'done' } }),
      this.snoozeBtn,
      btn('tbtn-dismiss', 'Dismiss', '#', this.on.dismiss, { dataset: { act: 'dismiss' } }));

    this.menu = h('div', { class: 'snooze-menu', id: 'snooze-menu', role: 'group', 'aria-label': 'Snooze until', hidden: true },
      presets.map((p) => h('button', {
        type: 'button', class: 'preset', dataset: { preset: p.id }, 'aria-keyshortcuts': p.key,
        on: { click: () => this.on.preset(p) },
      }, h('span', { class: 'preset-label', text: p.label }), h('span', { class: 'preset-hint', text: p.hint }), kbd(p.key))));

    const secondary = h('div', { class: 'tip-secondary', role: 'group', 'aria-label': 'Was this a good pick?' },
      h('span', { class: 'tip-secondary-lead', text: 'Good pick?' }),
      btn('tbtn-quiet', 'Helpful', '+', this.on.helpful, { dataset: { act: 'helpful' } }),
      btn('tbtn-quiet', 'Not helpful', '−', this.on.notHelpful, { dataset: { act: 'not_helpful' } }));

    const article = h('article', {
      class: 'tip', id: 'tip', 'aria-labelledby': 'tip-title',
      dataset: { key: str(t.key, 300), decision: String(res.decision ?? '') },
    }, meta, heading, labelList, why, this.link, actions, this.menu, secondary);
    replace(this.stage, article);
    this.stage.dataset.state = 'tip';
  }

  toggleSnooze(open = !this.snoozeOpen) {
    if (!this.menu) return;
    this.menu.hidden = !open;
    this.snoozeBtn.setAttribute('aria-expanded', String(open));
    this.snoozeBtn.classList.toggle('is-open', open);
    if (open) this.menu.querySelector('button')?.focus({ preventScroll: true });
    else if (this.snoozeBtn.isConnected) this.snoozeBtn.focus({ preventScroll: true });
  }

  /* Opens the item's link, if it has an acceptable one. */
  open() { if (this.link && this.link.tagName === 'A') this.link.click(); }

  /* info: {returnsAt: text or '', noItems: bool, listHref}. */
  empty(info) {
    this.menu = null;
    this.link = null;
    const lines = info.noItems
      ? [h('h1', { class: 'empty-title', tabindex: '-1', text: 'Nothing here yet.' }),
        h('p', { class: 'empty-sub', text: 'Open the inbox and Refresh: tips come from your issues and pull requests.' })]
      : [h('h1', { class: 'empty-title', tabindex: '-1', text: 'Inbox zero.' }),
        h('p', { class: 'empty-sub', text: 'Come back later.' }),
        info.returnsAt ? h('p', { class: 'empty-next', id: 'next-return' }, 'The next snoozed item returns ', h('time', { text: info.returnsAt }), '.') : null];
    replace(this.stage, h('section', { class: 'tip-empty', id: 'tip-empty', 'aria-live': 'polite' },
      h('div', { class: 'empty-mark', 'aria-hidden': 'true' }),
      ...lines,
      h('a', { class: 'tbtn tbtn-back', href: info.listHref }, icons.inbox(), h('span', { text: 'Back to the inbox' }))));
    this.stage.dataset.state = 'empty';
  }

  /* d: describe() output. retry: function. */
  error(d, retry) {
    this.menu = null;
    this.link = null;
    replace(this.stage, h('section', { class: 'tip-empty tip-failed', role: 'alert' },
      h('h1', { class: 'empty-title', text: 'No tip right now.' }),
      h('p', { class: 'empty-sub', text: d.text, title: d.detail || null }),
      h('button', { type: 'button', class: 'tbtn', on: { click: retry } }, h('span', { text: 'Try again' }))));
    this.stage.dataset.state = 'error';
  }
}

function isGithub(url) {
  try { const host = new URL(url).hostname; return host === 'github.com' || host.endsWith('.github.com'); } catch { return false; }
}
