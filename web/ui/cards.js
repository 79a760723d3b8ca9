/*
 * ui/cards.js — the ranked list of cards, its selection and its expanded cards.
 *
 * render() brings the list to a new array of cards in place: a card whose key is already shown
 * keeps its element (untouched when what it shows is the same, rebuilt in the same spot when not),
 * so the live list replaces the first-paint snapshot without a jump, and focus, selection and
 * expanded cards stay. The first FIRST cards are placed at once, the rest in the next frame.
 * A card opens on click (or o / Enter, ui/keys.js) into its details and body, which marks it
 * read (opts.onOpen); Esc closes it. "why" shows the score's factors. Details are fetched once
 * per card and per list version (ui/detail.js builds them). The focused card is a roving
 * tabindex so j / k and Tab both work; when it leaves the list (done, snoozed…), focus moves to
 * the card that took its place. Each card carries its triage buttons (Done, Snooze, Save,
 * Read, Mute, Dismiss, with labels; opts.onAct does the work, ui/triage.js), a checkbox for
 * bulk actions (opts.isChecked / opts.onCheck), its triage state (saved, snoozed until,
 * done, muted) and what GitHub has not been told yet or refused (card.outbox).
 */
import { h, replace, safeHttpUrl, extLink } from './dom.js';
import { ago, count, factor, fullDate, when, reasonWords, reasonUrgent, reasonGoodFirst, reasonYours, reasonBase } from './format.js';
import { renderDetail, renderFactors } from './detail.js';
import * as icons from './icons.js';

export const FIRST = 20;

/* Runs fn in the next frame, or after 100 ms in a tab that draws no frames (hidden). */
function nextFrame(fn) {
  let done = false;
  const go = () => { if (!done) { done = true; fn(); } };
  requestAnimationFrame(go);
  setTimeout(go, 100);
}

/* What a card shows, as text: equal signatures draw the same element. Scores and ages are
 * compared as shown, so a list re-ranked a minute later keeps its elements. */
function signature(c) {
  return JSON.stringify({ ...c, score: factor(c.score), updated_at: ago(c.updated_at) });
}

/* "good-first-issue", "Good First Issue" → "good first issue" */
function norm(s) {
  return String(s).toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

/* The triage buttons of a card: [act, label, key, icon, label when the state is on]. */
const ACTS = [
  ['done', 'Done', 'e', () => icons.check()],
  ['snooze', 'Snooze', 's', () => icons.clock()],
  ['save', 'Save', '*', (on) => icons.star(on), 'Saved'],
  ['read', 'Read', 'm', (on) => icons.envelope(on), 'Unread'],
  ['mute', 'Mute', 'M', () => icons.mute()],
  ['dismiss', 'Dismiss', '#', () => icons.dismiss()],
];

/* What the outbox says on a card: pending (GitHub not told yet; with an error, a retry
 * follows) or dropped (GitHub refused or the thread is gone; the note says which). */
function outboxChip(o) {
  if (!o || typeof o.state !== 'string') return null;
  const note = typeof o.note === 'string' ? o.note.slice(0, 200) : '';
  if (o.state === 'pending' && !note) return h('span', { class: 'chip chip-outbox', text: 'GitHub not told yet', title: 'Sent at the next refresh' });
  if (o.state === 'pending') return h('span', { class: 'chip chip-outbox is-failed', text: 'GitHub not told yet: ' + note, title: `Failed: ${note}. Retried at the next refresh.` });
  return h('span', { class: 'chip chip-outbox is-failed', text: /^GitHub\b/.test(note) ? note : 'GitHub: ' + note, title: note });
}

export class CardList {
  /* hub: HubClient; listEl: the <ol>; opts: {user() the configured GitHub login,
   * onOpen(card) a card was opened, onAct(act, key, button) a triage button was pressed,
   * isChecked(key) / onCheck(key, on) the bulk selection}. */
  constructor(hub, listEl, opts = {}) {
    this.hub = hub;
    this.listEl = listEl;
    this.user = opts.user || (() => '');
    this.onOpen = opts.onOpen || (() => {});
    this.onAct = opts.onAct || (() => {});
    this.isChecked = opts.isChecked || (() => false);
    this.onCheck = opts.onCheck || (() => {});
    this.selIndex = 0;
    this.cards = [];
    this.items = new Map();      /* key → {li, card, i, sig} */
    this.details = new Map();    /* key → Promise<detailed card> */
    this.expanded = new Set();
    this.why = new Set();
    this.selected = null;
    this.gen = 0;
    listEl.addEventListener('click', (e) => this.onClick(e));
    listEl.addEventListener('change', (e) => {
      const box = e.target.closest('input.card-check');
      const li = box && box.closest('li.card');
      if (li) { this.select(li.dataset.key, false); this.onCheck(li.dataset.key, box.checked); }
    });
    listEl.addEventListener('keydown', (e) => this.onKey(e));
    listEl.addEventListener('focusin', (e) => {
      const li = e.target.closest('li.card');
      if (li) this.select(li.dataset.key, false);
    });
  }

  get length() { return this.cards.length; }

  /* cards: array from the core, best first. Invalidates cached details. Resolves when every
   * card is placed (the first FIRST synchronously, before this returns). */
  render(cards) {
    const gen = ++this.gen;
    const hadFocus = this.listEl.contains(document.activeElement);
    const next = Array.isArray(cards) ? cards.filter((c) => c && typeof c.key === 'string') : [];
    const old = this.items;
    this.cards = next;
    this.details.clear();
    this.items = new Map();
    const place = (from, to) => {
      for (let i = from; i < to; i++) {
        const c = next[i];
        if (this.items.has(c.key)) continue; /* a key twice: shown once */
        const sig = signature(c);
        const prev = old.get(c.key);
        let li;
        if (prev && prev.sig === sig) li = prev.li;
        else {
          li = this.cardEl(c);
          if (prev) {
            /* a changed card keeps the keyboard focus it had: a key pressed before this render
               finishes (j after m) must act from here, not find focus outside the list */
            const focused = prev.li.contains(document.activeElement);
            prev.li.replaceWith(li);
            if (focused && c.key === this.selected) {
              setTabbable(li, true);
              li.classList.add('is-selected');
              li.focus({ preventScroll: true });
            }
          }
        }
        old.delete(c.key);
        this.items.set(c.key, { li, card: c, i: this.items.size, sig });
        const at = this.listEl.children[this.items.size - 1];
        if (at !== li) {
          /* moving a node blurs what it holds: a card that changed rank keeps its focus, or a
             key pressed before finish() (j after m) would only bring focus back */
          const active = li.contains(document.activeElement) ? document.activeElement : null;
          this.listEl.insertBefore(li, at || null);
          if (active && document.activeElement !== active) active.focus({ preventScroll: true });
        }
      }
    };
    const finish = () => {
      for (const it of old.values()) it.li.remove();
      while (this.listEl.children.length > this.items.size) this.listEl.lastElementChild.remove();
      this.cards = [...this.items.values()].map((it) => it.card);
      /* the focused card left the list: the one that took its place (or the last) */
      if (!this.items.has(this.selected)) this.selected = this.cards[Math.min(this.selIndex, this.cards.length - 1)]?.key ?? null;
      for (const key of [...this.expanded]) if (this.items.has(key)) this.openDetail(key); else this.expanded.delete(key);
      for (const key of [...this.why]) if (this.items.has(key)) this.openWhy(key); else this.why.delete(key);
      this.select(this.selected, hadFocus && !this.listEl.contains(document.activeElement));
    };
    place(0, Math.min(FIRST, next.length));
    if (next.length <= FIRST) { finish(); return Promise.resolve(); }
    if (this.items.has(this.selected)) this.select(this.selected, false);
    return new Promise((resolve) => nextFrame(() => {
      if (gen === this.gen) { place(FIRST, next.length); finish(); }
      resolve();
    }));
  }

  cardEl(c) {
    const url = safeHttpUrl(c.url, true);
    const isPull = c.kind === 'pull';
    const closed = c.state && c.state !== 'open';
    const title = typeof c.title === 'string' && c.title.trim() ? c.title : '(untitled)';
    /* tangled items have no number; their url may be an at:// URI (shown, never linked) */
    const repoRef = String(c.repo ?? '').slice(0, 140) + (Number.isFinite(c.number) && c.number > 0 ? `#${c.number}` : '');
    const tangled = c.source === 'tangled';
    const kindLabel = `${closed ? 'closed ' : ''}${isPull ? 'pull request' : 'issue'}`;

    const reasons = (Array.isArray(c.reasons) ? c.reasons : []).filter((r) => r && typeof r.code === 'string').slice(0, 6).map((r) =>
      h('span', {
        class: ['chip', 'chip-reason', reasonUrgent(r) && 'chip-urgent', reasonYours(r) && 'chip-yours', reasonGoodFirst(r) && 'chip-gfi'],
        text: reasonWords(r), title: (r.detail ? `${r.code}: ${r.detail}` : r.code).slice(0, 200),
      }));
    /* a good-first card says "good first issue" once: its reason, not the same label again */
    const said = new Set((Array.isArray(c.reasons) ? c.reasons : []).filter(reasonGoodFirst).map((r) => norm(reasonBase(r))));
    const labels = (Array.isArray(c.labels) ? c.labels : []).filter((l) => typeof l === 'string' && !said.has(norm(l))).slice(0, 8).map((l) =>
      h('span', { class: 'chip chip-label', text: l.slice(0, 50), title: l.slice(0, 200) }));

    const whyBtn = h('button', { type: 'button', class: 'why', 'data-act': 'why', 'aria-expanded': 'false', title: 'Why this score', tabindex: '-1' },
      h('span', { class: 'why-score', text: factor(c.score) }), h('span', { class: 'why-label', text: 'why?' }));
    const moreBtn = h('button', { type: 'button', class: 'more', 'data-act': 'more', 'aria-expanded': 'false', 'aria-label': 'Details', title: 'Details (Enter)', tabindex: '-1' }, icons.chevron());

    /* elementtiming: when the first card's title was painted (tests/browser/bench.mjs) */
    const titleEl = h('h2', { class: 'card-title', elementtiming: 'card' },
      extLink(url, { class: 'card-link', tabindex: '-1' }, title));

    const states = [
      c.saved ? h('span', { class: 'chip chip-state chip-saved' }, icons.star(true), 'Saved') : null,
      Number.isFinite(c.snoozed_until) ? h('span', { class: 'chip chip-state', title: 'Snoozed until ' + new Date(c.snoozed_until).toLocaleString(), text: 'Snoozed until ' + when(c.snoozed_until) }) : null,
      c.done ? h('span', { class: 'chip chip-state', text: 'Done' }) : null,
      c.muted ? h('span', { class: 'chip chip-state', text: 'Muted' }) : null,
      c.dismissed ? h('span', { class: 'chip chip-state', text: 'Dismissed' }) : null,
      outboxChip(c.outbox),
    ].filter(Boolean);
    const on = { save: !!c.saved, read: !c.unread };
    const actions = h('div', { class: 'card-actions', role: 'group', 'aria-label': 'Triage' }, ACTS.map(([act, label, key, icon, onLabel]) => {
      const lit = !!on[act];
      const words = lit && onLabel ? (act === 'read' ? 'Mark unread' : onLabel) : (act === 'read' ? 'Mark read' : label);
      return h('button', {
        type: 'button', class: ['act', 'act-' + act, lit && 'is-on'], tabindex: '-1', dataset: { act },
        'aria-keyshortcuts': key, title: `${words} (${key})`, 'aria-pressed': act === 'save' ? String(lit) : null,
      }, icon(lit), act === 'read'
        ? h('span', { class: 'act-label' }, h('span', { class: 'act-long', text: lit ? 'Mark unread' : 'Mark read' }), h('span', { class: 'act-short', text: lit ? 'Unread' : 'Read' }))
        : h('span', { class: 'act-label', text: lit && onLabel ? onLabel : label }));
    }));
    const check = h('input', {
      type: 'checkbox', class: 'card-check', tabindex: '-1', 'aria-label': 'Select: ' + title.slice(0, 120),
    });
    check.checked = !!this.isChecked(c.key);

    const li = h('li', {
      class: ['card', c.unread && 'is-unread', closed && 'is-closed', check.checked && 'is-checked'],
      tabindex: '-1', dataset: { key: c.key },
      'aria-label': `${c.unread ? 'Unread. ' : ''}${c.saved ? 'Saved. ' : ''}${title}, ${repoRef}`,
    },
      h('div', { class: 'card-row' },
        h('div', { class: 'card-lead' }, check,
          h('span', { class: ['kind', isPull ? 'kind-pull' : 'kind-issue', closed && 'kind-closed'], title: kindLabel },
            isPull ? icons.pull(kindLabel) : icons.issue(kindLabel))),
        h('div', { class: 'card-main' },
          h('div', { class: 'card-top' },
            tangled ? h('span', { class: 'chip chip-source', text: 'tangled', title: 'From tangled.org' }) : null,
            h('span', { class: 'repo', text: repoRef }),
            c.unread ? h('span', { class: 'unread-dot', title: 'Unread', 'aria-hidden': 'true' }) : null,
            reasons),
          titleEl,
          h('div', { class: 'card-meta' },
            labels.length ? h('span', { class: 'labels' }, labels) : null,
            h('span', { class: 'meta-item', title: 'Updated ' + fullDate(c.updated_at), text: ago(c.updated_at) }),
            h('span', { class: 'meta-item', title: `${count(c.comments)} comments` }, icons.comment(), count(c.comments)),
            h('span', { class: 'meta-item', title: `${count(c.reactions)} reactions` }, icons.reaction(), count(c.reactions))),
          states.length ? h('div', { class: 'card-states' }, states) : null),
        h('div', { class: 'card-side' }, whyBtn, moreBtn)),
      actions,
      h('div', { class: 'card-why', hidden: true }),
      h('div', { class: 'card-detail', hidden: true }));
    return li;
  }

  onClick(e) {
    const li = e.target.closest('li.card');
    if (!li) return;
    const key = li.dataset.key;
    this.select(key, false);
    const btn = e.target.closest('button[data-act]');
    if (btn) {
      e.preventDefault();
      const act = btn.dataset.act;
      if (act === 'why') this.toggleWhy(key);
      else if (act === 'more') this.toggleDetail(key);
      else this.onAct(act, key, btn);
      return;
    }
    if (e.target.closest('a, input, .card-actions, .card-detail, .card-why')) return;
    if (window.getSelection()?.toString()) return; /* let people select text */
    this.toggleDetail(key);
  }

  onKey(e) {
    if (e.target.closest('.card-detail a')) return;
    const li = e.target.closest('li.card');
    if (!li || e.target !== li || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === ' ') { e.preventDefault(); this.toggleDetail(li.dataset.key); }
    else if (e.key === 'ArrowDown') { e.preventDefault(); this.move(1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); this.move(-1); }
  }

  /* Makes key the selected card (roving tabindex); focus: move keyboard focus too. */
  select(key, focus = true) {
    const prev = this.items.get(this.selected);
    const next = this.items.get(key);
    if (prev && prev !== next) { setTabbable(prev.li, false); prev.li.classList.remove('is-selected'); }
    if (!next) { this.selected = null; return; }
    this.selected = key;
    this.selIndex = next.i;
    setTabbable(next.li, true);
    next.li.classList.add('is-selected');
    if (focus) {
      next.li.focus({ preventScroll: true });
      next.li.scrollIntoView({ block: 'nearest' });
    }
  }

  /* Moves the selection by delta cards (j / k). From a control outside the list (a header
   * button), the first j / k only brings focus back to the selected card; with focus nowhere
   * (the page itself, as after a redraw removed the focused node) it moves from that card. */
  move(delta) {
    if (!this.cards.length) return;
    const cur = this.items.get(this.selected);
    const active = document.activeElement;
    if (cur && active && active !== document.body && !this.listEl.contains(active)) { this.select(this.selected, true); return; }
    const i = cur ? Math.min(this.cards.length - 1, Math.max(0, cur.i + delta)) : 0;
    if (this.items.has(this.cards[i].key)) this.select(this.cards[i].key, true); /* placed yet */
  }

  /* Opens the selected card's URL in a new tab (O). */
  openLink() {
    const it = this.items.get(this.selected);
    const url = it && safeHttpUrl(it.card.url, true);
    if (url) window.open(url, '_blank', 'noopener,noreferrer');
  }

  /* The focused card ({key, card, li}) or null. */
  current() {
    const it = this.items.get(this.selected);
    return it ? { key: this.selected, card: it.card, li: it.li } : null;
  }

  /* The keys shown, in order. */
  keys() { return this.cards.map((c) => c.key); }

  /* The card shown under key, or undefined. */
  card(key) { return this.items.get(key)?.card; }

  /* Opens the focused card (o / Enter); focus stays on it. */
  openSelected() {
    if (!this.selected) return;
    if (!this.expanded.has(this.selected)) this.toggleDetail(this.selected);
    this.select(this.selected, true);
  }

  /* Closes the focused card (Esc). Returns false when it was not open. */
  closeSelected() {
    if (!this.selected || !this.expanded.has(this.selected)) return false;
    this.closeDetail(this.selected);
    this.select(this.selected, true);
    return true;
  }

  toggleWhySelected() { if (this.selected) this.toggleWhy(this.selected); }

  /* Shows the checkbox of key as on or off. */
  setChecked(key, on) {
    const it = this.items.get(key);
    if (!it) return;
    it.li.querySelector('input.card-check').checked = on;
    it.li.classList.toggle('is-checked', on);
  }

  /* Optimistic triage, before the worker answers: cards whose key is in gone leave the list
   * (focus moves to the card that takes the place of the focused one); patch(card) returns the
   * new card for the others (the same object when unchanged), drawn again in place. The next
   * render() brings the truth. */
  applyLocal(gone, patch) {
    const hadFocus = this.listEl.contains(document.activeElement);
    const next = [];
    const changed = new Set();
    for (const c of this.cards) {
      if (gone.has(c.key)) continue;
      const p = patch ? patch(c) : c;
      if (p !== c) changed.add(c.key);
      next.push(p);
    }
    const at = this.items.get(this.selected);
    for (const key of gone) {
      const it = this.items.get(key);
      if (it) { it.li.remove(); this.items.delete(key); this.expanded.delete(key); this.why.delete(key); }
    }
    this.cards = next;
    next.forEach((c, i) => {
      const it = this.items.get(c.key);
      if (!it) return;
      it.i = i;
      if (!changed.has(c.key)) return;
      const sig = signature(c);
      if (sig !== it.sig) {
        const li = this.cardEl(c);
        it.li.replaceWith(li);
        Object.assign(it, { li, card: c, sig });
        if (this.expanded.has(c.key)) this.openDetail(c.key);
        if (this.why.has(c.key)) this.openWhy(c.key);
      }
    });
    if (at && gone.has(this.selected)) this.selected = next[Math.min(this.selIndex, next.length - 1)]?.key ?? null;
    this.select(this.selected, hadFocus && !this.listEl.contains(document.activeElement));
  }

  fetchDetail(key) {
    if (!this.details.has(key)) {
      const p = this.hub.call({ cmd: 'card', key, now: Date.now() }).then((r) => r.card);
      p.catch(() => this.details.delete(key));
      this.details.set(key, p);
    }
    return this.details.get(key);
  }

  toggleDetail(key) {
    if (this.expanded.has(key)) { this.closeDetail(key); return; }
    this.expanded.add(key);
    this.openDetail(key);
    const card = this.items.get(key)?.card;
    if (card) this.onOpen(card);
  }

  closeDetail(key) {
    this.expanded.delete(key);
    const it = this.items.get(key);
    if (!it) return;
    it.li.classList.remove('is-open');
    it.li.querySelector('.card-detail').hidden = true;
    it.li.querySelector('button.more').setAttribute('aria-expanded', 'false');
  }

  async openDetail(key) {
    const it = this.items.get(key);
    if (!it) return;
    const panel = it.li.querySelector('.card-detail');
    it.li.classList.add('is-open');
    it.li.querySelector('button.more').setAttribute('aria-expanded', 'true');
    panel.hidden = false;
    if (!panel.firstChild) replace(panel, h('p', { class: 'muted loading', text: 'Loading…' }));
    try {
      const card = await this.fetchDetail(key);
      if (this.items.get(key)?.li !== it.li) return; /* the card was redrawn meanwhile */
      replace(panel, renderDetail(card));
    } catch (err) {
      replace(panel, h('p', { class: 'problem', text: 'Could not load this card: ' + String(err?.message ?? err).slice(0, 200) }));
    }
  }

  toggleWhy(key) {
    if (this.why.has(key)) {
      this.why.delete(key);
      const it = this.items.get(key);
      if (!it) return;
      it.li.querySelector('.card-why').hidden = true;
      it.li.querySelector('button.why').setAttribute('aria-expanded', 'false');
    } else { this.why.add(key); this.openWhy(key); }
  }

  async openWhy(key) {
    const it = this.items.get(key);
    if (!it) return;
    const panel = it.li.querySelector('.card-why');
    it.li.querySelector('button.why').setAttribute('aria-expanded', 'true');
    panel.hidden = false;
    if (!panel.firstChild) replace(panel, h('p', { class: 'muted loading', text: 'Loading…' }));
    try {
      const card = await this.fetchDetail(key);
      if (this.items.get(key)?.li !== it.li) return;
      replace(panel, renderFactors(card, this.user()));
    } catch (err) {
      replace(panel, h('p', { class: 'problem', text: 'Could not load the score: ' + String(err?.message ?? err).slice(0, 200) }));
    }
  }
}

/* Only the selected card and its own controls are in the Tab order. */
function setTabbable(li, on) {
  li.tabIndex = on ? 0 : -1;
  for (const el of li.querySelectorAll('.card-row a, .card-row button, .card-row input, .card-actions button')) el.tabIndex = on ? 0 : -1;
}
