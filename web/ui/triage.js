/*
 * ui/triage.js — triage in the inbox: done, snooze, save, read / unread, mute and dismiss, on
 * one card, on the selected cards, or on everything the current search shows; undo.
 *
 * Every action is one `triage` command (the core's state and its outbox to GitHub; nothing is
 * decided here). The list changes at once — cards that leave the current search go, the others
 * show their new state (CardList.applyLocal) — and the kept first-paint snapshot loses them
 * (snapshot.js dropCards), then the worker's answer brings the truth (reload). Until a re-read
 * that started after the answer, cards that left stay hidden (visible()), so a quick run of
 * `e e e` never flickers one back. A toast says what happened with an Undo (z: the core's
 * `undo`, one batch at a time). Opening an unread card marks it read (no toast).
 *
 * Which actions make a card leave the list is only guessed from the search's is: words — the
 * core's answer decides. Part of the page layer (web/ui).
 */
import { h, replace } from './dom.js';
import { count, plural } from './format.js';
import { describe } from './errors.js';
import { dropCards } from '../snapshot.js';
import * as icons from './icons.js';

/* Words of the actions, as the toast and the bulk bar say them. */
const WORDS = {
  done: 'Done', undone: 'Back in the inbox', snooze: 'Snoozed', unsnooze: 'Unsnoozed', save: 'Saved', unsave: 'Unsaved',
  read: 'Marked read', unread: 'Marked unread', mute: 'Muted', unmute: 'Unmuted', dismiss: 'Dismissed',
};

/* The state an action sets, as the search language's is: word, and whether it sets or clears it. */
const STATE = {
  done: ['done', true], undone: ['done', false], snooze: ['snoozed', true], unsnooze: ['snoozed', false],
  mute: ['muted', true], unmute: ['muted', false], dismiss: ['dismissed', true],
  save: ['saved', true], unsave: ['saved', false], read: ['unread', false], unread: ['unread', true],
};
const HIDDEN_BY_DEFAULT = new Set(['done', 'snoozed', 'muted', 'dismissed']);

/* Whether a card leaves a list showing search q after action (a guess; the core decides). */
export function leaves(action, q) {
  const [word, on] = STATE[action] || [];
  if (!word) return false;
  const terms = String(q || '').toLowerCase().split(/\s+/);
  const pos = terms.includes('is:' + word), neg = terms.includes('-is:' + word);
  if (word === 'unread') return on ? terms.includes('is:read') || neg : pos;
  if (HIDDEN_BY_DEFAULT.has(word)) return on ? !pos : pos;
  return on ? neg : pos;
}

/* The card as it looks after action (until: a snooze's end). */
function patched(c, action, until) {
  switch (action) {
    case 'read': return { ...c, unread: false, read: true };
    case 'unread': return { ...c, unread: true, read: false };
    case 'save': return { ...c, saved: true };
    case 'unsave': return { ...c, saved: false };
    case 'snooze': return { ...c, snoozed_until: until };
    case 'unsnooze': return { ...c, snoozed_until: null };
    case 'done': case 'undone': return { ...c, done: action === 'done' };
    case 'mute': case 'unmute': return { ...c, muted: action === 'mute' };
    case 'dismiss': return { ...c, dismissed: true };
    default: return c;
  }
}

export class Triage {
  /* hub: HubClient; o: {list: CardList, bulkEl (the bar of the selection), allBox (the "select
   * everything this search shows" checkbox), toast: Toast, menu: SnoozeMenu, query() the
   * current search, total() how many cards it shows, reload() re-reads the list (a promise)}. */
  constructor(hub, o) {
    this.hub = hub;
    this.o = o;
    this.list = o.list;
    this.picked = new Set();   /* the selection (x, checkboxes) */
    this.all = false;          /* "everything this search shows" */
    this.hiddenUntil = new Map(); /* key → epoch of the answer that confirmed it left (Infinity: none yet) */
    this.epoch = 0;            /* answers received */
    this.busy = Promise.resolve();
    o.bulkEl.addEventListener('click', (e) => this.onBulkClick(e));
    o.allBox.addEventListener('change', () => this.selectAll(o.allBox.checked));
  }

  /* ---- what the list shows ---------------------------------------------------------------- */

  /* cards from a re-read that started at epoch, without those that left since; forgets what
   * that re-read confirmed. */
  visible(cards, epoch) {
    const out = cards.filter((c) => !(this.hiddenUntil.get(c.key) > epoch));
    for (const [k, e] of this.hiddenUntil) if (e <= epoch) this.hiddenUntil.delete(k);
    return out;
  }

  /* After every render: the selection keeps only cards still shown; the bulk bar follows. */
  rendered() {
    const shown = new Set(this.list.keys());
    for (const k of [...this.picked]) if (!shown.has(k)) this.picked.delete(k);
    if (!shown.size) this.all = false;
    this.drawBulk();
  }

  isChecked(key) { return this.all || this.picked.has(key); }

  /* ---- the keys and buttons --------------------------------------------------------------- */

  /* What keys act on: the selection, everything the search shows, or the focused card. */
  target() {
    if (this.all) return { query: this.o.query(), n: this.o.total() };
    if (this.picked.size) return { keys: [...this.picked], n: this.picked.size };
    const cur = this.list.current();
    return cur ? { keys: [cur.key], n: 1, one: true } : null;
  }

  done() { return this.act('done'); }
  mute() { return this.act('mute'); }
  dismiss() { return this.act('dismiss'); }

  /* m: read, unless every targeted card is read already (then unread). */
  read() {
    const t = this.target();
    if (!t) return;
    const any = !t.keys || t.keys.some((k) => this.list.card(k)?.unread);
    return this.act(any ? 'read' : 'unread', t);
  }

  /* *: save, unless every targeted card is saved already (then unsave). */
  save() {
    const t = this.target();
    if (!t) return;
    const all = t.keys && t.keys.every((k) => this.list.card(k)?.saved);
    return this.act(all ? 'unsave' : 'save', t);
  }

  /* s: the presets under the focused card (or the bulk bar). anchor: the button pressed. */
  snooze(anchor, t = this.target()) {
    if (!t) return;
    const cur = this.list.current();
    const back = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : cur?.li;
    const at = anchor || (t.one && cur ? cur.li.querySelector('.act-snooze') || cur.li : this.o.bulkEl);
    this.o.menu.open(at, back || at, (until) => this.act('snooze', t, { until }));
  }

  preset(i) { return this.o.menu.isOpen ? this.o.menu.pick(i) : false; }

  /* x: the focused card in or out of the selection. */
  select() {
    const cur = this.list.current();
    if (!cur) return;
    this.toggle(cur.key, !this.picked.has(cur.key));
  }

  toggle(key, on) {
    if (this.all) { this.all = false; for (const k of this.list.keys()) this.picked.add(k); }
    if (on) this.picked.add(key); else this.picked.delete(key);
    this.syncChecks();
  }

  selectAll(on) {
    this.all = on;
    this.picked.clear();
    this.syncChecks();
  }

  clearSelection() {
    if (!this.all && !this.picked.size) return false;
    this.all = false;
    this.picked.clear();
    this.syncChecks();
    return true;
  }

  syncChecks() {
    for (const k of this.list.keys()) this.list.setChecked(k, this.isChecked(k));
    this.drawBulk();
  }

  /* Esc: the menu, else the open card, else the selection. */
  escape() {
    if (this.o.menu.close(true)) return true;
    if (this.list.closeSelected()) return true;
    return this.clearSelection();
  }

  /* A card's own button: acts on that card only. */
  cardAct(act, key, btn) {
    const c = this.list.card(key);
    if (!c) return;
    const t = { keys: [key], n: 1, one: true };
    if (act === 'snooze') this.snooze(btn, t);
    else if (act === 'read') this.act(c.unread ? 'read' : 'unread', t);
    else if (act === 'save') this.act(c.saved ? 'unsave' : 'save', t);
    else this.act(act, t);
  }

  /* Opening an unread card marks it read, quietly. */
  opened(card) {
    if (card?.unread) this.act('read', { keys: [card.key], n: 1, one: true }, { quiet: true });
  }

  /* ---- doing it --------------------------------------------------------------------------- */

  /* Runs action on t (default: target()); opts.until for a snooze, opts.quiet: no toast.
   * Resolves when the list shows the worker's answer. */
  act(action, t = this.target(), opts = {}) {
    if (!t) return;
    const t0 = performance.now();
    const q = this.o.query();
    const req = { cmd: 'triage', now: Date.now(), action };
    if (t.keys) req.keys = t.keys; else req.query = q;
    if (action === 'snooze') req.until = opts.until;
    const keys = new Set(t.keys || this.list.keys());
    const gone = leaves(action, q) ? keys : new Set();
    for (const k of gone) this.hiddenUntil.set(k, Infinity);
    this.list.applyLocal(gone, (c) => (keys.has(c.key) ? patched(c, action, opts.until) : c));
    if (gone.size) dropCards([...gone]);
    if (!t.one) this.clearSelection(); else this.drawBulk();
    measure('hub:triage-list', t0);
    const run = async () => {
      let res;
      try {
        res = await this.hub.call(req);
      } catch (err) {
        for (const k of gone) this.hiddenUntil.delete(k);
        this.o.toast.show(`${WORDS[action]} failed: ${describe(err).text}`, { error: true });
        await this.o.reload();
        return;
      }
      measure('hub:triage-answer', t0);
      const epoch = ++this.epoch;
      for (const k of gone) if (this.hiddenUntil.get(k) === Infinity) this.hiddenUntil.set(k, epoch);
      await this.o.reload();
      measure('hub:triage-live', t0);
      if (opts.quiet) return;
      const n = Number(res.changed) || 0;
      const told = res.outbox > 0 ? ` · GitHub is told at the next refresh` : '';
      if (!n) this.o.toast.show(`Nothing to change: ${plural(t.n, 'card')} already ${WORDS[action].toLowerCase()}`);
      else this.o.toast.show(`${WORDS[action]} · ${plural(n, 'card')}${told}`, { undo: () => this.undo() });
    };
    this.busy = this.busy.then(run, run);
    return this.busy;
  }

  /* z: undoes the latest triage (one batch); the restored cards come back, focus on the first. */
  undo() {
    const run = async () => {
      let res;
      try {
        res = await this.hub.call({ cmd: 'undo', now: Date.now() });
      } catch (err) {
        this.o.toast.show(`Undo failed: ${describe(err).text}`, { error: true });
        return;
      }
      if (!res.batch) { this.o.toast.show('Nothing to undo'); return; }
      const keys = Array.isArray(res.keys) ? res.keys : [];
      for (const k of keys) this.hiddenUntil.delete(k);
      await this.o.reload();
      const back = keys.find((k) => this.list.card(k));
      if (back) this.list.select(back, true);
      const n = Number(res.restored) || keys.length;
      const note = res.not_undone_upstream ? ` — ${String(res.note || 'GitHub already has some of it').slice(0, 120)}` : '';
      this.o.toast.show(`Undone: ${(WORDS[res.action] || res.action || 'triage').toLowerCase()} · ${plural(n, 'card')}${note}`);
    };
    this.busy = this.busy.then(run, run);
    return this.busy;
  }

  /* ---- the bulk bar ----------------------------------------------------------------------- */

  drawBulk() {
    const el = this.o.bulkEl, box = this.o.allBox;
    const shown = this.list.keys().length;
    const n = this.all ? this.o.total() : this.picked.size;
    box.disabled = !shown && !this.all;
    box.checked = this.all || (shown > 0 && this.picked.size === shown);
    box.indeterminate = !this.all && this.picked.size > 0 && this.picked.size < shown;
    el.hidden = !n;
    if (!n) { el.replaceChildren(); return; }
    const label = this.all ? `All ${plural(n, 'card')} of this search` : `${count(n)} selected`;
    const btn = (act, text, icon, key) => h('button', { type: 'button', class: 'btn btn-small bulk-act', dataset: { bulk: act }, title: `${text} (${key})`, 'aria-keyshortcuts': key }, icon, h('span', { text }));
    const acts = [
      btn('done', 'Done', icons.check(), 'e'), btn('snooze', 'Snooze', icons.clock(), 's'),
      btn('read', 'Read', icons.envelope(true), 'm'), btn('unread', 'Unread', icons.envelope(false), 'm'),
      btn('save', 'Save', icons.star(false), '*'), btn('mute', 'Mute', icons.mute(), 'M'),
      btn('dismiss', 'Dismiss', icons.dismiss(), '#'),
      h('button', { type: 'button', class: 'btn btn-small btn-quiet', dataset: { bulk: 'clear' }, title: 'Clear the selection (Esc)', text: 'Clear' }),
    ];
    replace(el, h('span', { class: 'bulk-count', text: label }), h('span', { class: 'bulk-acts' }, acts));
  }

  onBulkClick(e) {
    const b = e.target.closest('button[data-bulk]');
    if (!b) return;
    const act = b.dataset.bulk;
    const t = this.all ? { query: this.o.query(), n: this.o.total() } : { keys: [...this.picked], n: this.picked.size };
    if (act === 'clear') { this.clearSelection(); return; }
    if (!t.n) return;
    if (act === 'snooze') this.snooze(b, t);
    else this.act(act, t);
  }
}

/* A performance measure from t0 to now (the bench reads them). */
function measure(name, t0) {
  try { performance.measure(name, { start: t0, end: performance.now() }); } catch { /* old browser */ }
}
