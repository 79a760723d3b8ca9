/*
 * ui/search.js — the search box and the saved searches pinned as tabs above the cards.
 *
 * The search box takes the core's search language (repo:, org:, author:, label:, reason:,
 * is:, source:, sort:, words, -negation, "quotes", OR): Enter runs it; the core parses it,
 * and a query it cannot parse comes back as bad_query with the byte where it stopped, shown
 * here under the box with that spot marked (showError). The tabs are the `searches` command's
 * list (by default Inbox, GitHub, tangled, Good first, Saved, Snoozed, Done, with counts): a
 * tab is a search with a name. "Save as tab" pins the current search under a name, "Remove
 * tab" (or Delete on a tab) unpins one; the whole list is written back with `searches`/set.
 * Tabs are a tablist with a roving tabindex (arrows, Home, End). The view {q, tab} is kept in
 * localStorage. Knows nothing about cards. Part of the page layer (web/ui).
 */
import { h, replace } from './dom.js';
import { count } from './format.js';
import { describe } from './errors.js';

const KEY = 'hub.view';
const OLD_KEY = 'hub.from'; /* the source filter of earlier versions: a source: search now */

export class SearchBar {
  /* hub: HubClient; els: {form, input, error, tabs, panel, save, remove, saveForm};
   * limits: meta.limits (searches, search_name, query); onChange(view): the view changed. */
  constructor(hub, els, limits, onChange) {
    this.hub = hub;
    this.els = els;
    this.limits = limits || {};
    this.onChange = onChange;
    this.list = [];          /* [{name, q, count}] */
    this.view = readStored();
    this.els.input.value = this.view.q;
    if (Number.isFinite(this.limits.query)) els.input.maxLength = this.limits.query;
    els.tabs.setAttribute('role', 'tablist');
    els.tabs.setAttribute('aria-label', 'Saved searches');
    els.panel.setAttribute('role', 'tabpanel');
    els.form.addEventListener('submit', (e) => { e.preventDefault(); this.run(els.input.value); });
    els.input.addEventListener('keydown', (e) => this.onInputKey(e));
    els.input.addEventListener('input', () => this.showButtons());
    els.tabs.addEventListener('keydown', (e) => this.onTabKey(e));
    els.tabs.addEventListener('click', (e) => {
      const b = e.target.closest('[role=tab]');
      if (b) this.pick(b.dataset.name, false);
    });
    els.save.addEventListener('click', () => this.askName());
    els.remove.addEventListener('click', () => this.remove(this.view.tab));
    els.saveForm.addEventListener('submit', (e) => { e.preventDefault(); this.saveTab(); });
    els.saveForm.querySelector('[data-cancel]').addEventListener('click', () => this.closeAsk(true));
    els.saveForm.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); this.closeAsk(true); } });
    this.showButtons();
  }

  get q() { return this.view.q; }

  /* ---- tabs ------------------------------------------------------------------------------- */

  /* list: the searches command's answer's searches (counts optional). */
  setTabs(list) {
    this.list = (Array.isArray(list) ? list : []).filter((s) => s && typeof s.name === 'string' && typeof s.q === 'string');
    if (this.view.tab && !this.list.some((s) => s.name === this.view.tab)) this.view.tab = null;
    if (!this.view.tab) this.view.tab = this.list.find((s) => s.q.trim() === this.view.q.trim())?.name || null;
    const focused = this.els.tabs.contains(document.activeElement) ? document.activeElement.dataset.name : null;
    replace(this.els.tabs, this.list.map((s, i) => {
      const n = Number.isFinite(s.count) ? count(s.count) : '';
      const words = s.name.slice(0, 60);
      return h('button', {
        type: 'button', role: 'tab', class: ['seg', s.count === 0 && 'is-empty'], id: 'tab-' + i,
        'aria-controls': this.els.panel.id, dataset: { name: s.name, q: s.q }, title: s.q ? `Search: ${s.q.slice(0, 200)}` : 'Everything in the inbox',
        'aria-label': n ? `${words}, ${n}` : words,
      }, h('span', { class: 'seg-label', text: words }), h('span', { class: 'seg-count', 'aria-hidden': 'true', text: n }));
    }));
    this.show();
    if (focused) this.tabEl(focused)?.focus();
  }

  tabEl(name) {
    return [...this.els.tabs.children].find((b) => b.dataset.name === name) || null;
  }

  show() {
    let any = false;
    for (const b of this.els.tabs.children) {
      const on = b.dataset.name === this.view.tab;
      any ||= on;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.tabIndex = on ? 0 : -1;
      b.classList.toggle('is-on', on);
    }
    if (!any && this.els.tabs.firstElementChild) this.els.tabs.firstElementChild.tabIndex = 0;
    const on = this.tabEl(this.view.tab);
    if (on) this.els.panel.setAttribute('aria-labelledby', on.id);
    else this.els.panel.setAttribute('aria-label', this.view.q ? `Cards matching ${this.view.q.slice(0, 100)}` : 'Cards');
    if (on) this.els.panel.removeAttribute('aria-label');
    this.showButtons();
  }

  showButtons() {
    const typed = this.els.input.value.trim();
    const saved = this.list.some((s) => s.q.trim() === typed);
    this.els.save.hidden = !typed || saved || typed !== this.view.q.trim();
    this.els.remove.hidden = !this.view.tab || typed !== this.view.q.trim();
    if (this.view.tab) this.els.remove.setAttribute('aria-label', `Remove the tab ${this.view.tab.slice(0, 60)}`);
  }

  onTabKey(e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const names = this.list.map((s) => s.name);
    const cur = document.activeElement?.dataset?.name;
    const i = Math.max(0, names.indexOf(cur));
    let next = null;
    if (e.key === 'ArrowRight') next = names[(i + 1) % names.length];
    else if (e.key === 'ArrowLeft') next = names[(i + names.length - 1) % names.length];
    else if (e.key === 'Home') next = names[0];
    else if (e.key === 'End') next = names[names.length - 1];
    else if (e.key === 'Delete' && cur) { e.preventDefault(); this.remove(cur); return; }
    if (next === null || next === undefined) return;
    e.preventDefault();
    e.stopPropagation();
    this.pick(next, true);
  }

  /* Shows the tab called name; focus: move keyboard focus to it. */
  pick(name, focus) {
    const s = this.list.find((x) => x.name === name);
    if (!s) return;
    this.set({ q: s.q, tab: s.name });
    if (focus) this.tabEl(name)?.focus();
  }

  /* The first tab (g i: the inbox). */
  home() {
    if (this.list.length) this.pick(this.list[0].name, false); else this.set({ q: '', tab: null });
  }

  /* ---- the search box --------------------------------------------------------------------- */

  focus() {
    this.els.input.focus();
    this.els.input.select();
  }

  /* Runs q as the search (a tab with the same search is shown as chosen). */
  run(q) {
    const text = String(q ?? '').trim();
    const tab = this.list.find((s) => s.q.trim() === text)?.name || null;
    this.set({ q: text, tab });
  }

  set(view) {
    const changed = view.q !== this.view.q || view.tab !== this.view.tab;
    this.view = { q: view.q, tab: view.tab };
    this.els.input.value = view.q;
    store(this.view);
    this.clearError();
    this.show();
    if (changed) this.onChange?.(this.view);
  }

  onInputKey(e) {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    e.stopPropagation();
    if (this.els.input.value !== this.view.q) { this.els.input.value = this.view.q; this.showButtons(); this.clearError(); return; }
    this.els.input.blur();
    this.onEscape?.();
  }

  /* err: the core's bad_query (message, position: the byte of q where parsing stopped). */
  showError(err, q) {
    const el = this.els.error;
    const msg = String(err?.message ?? err).slice(0, 300);
    const text = String(q ?? '');
    const at = err?.code === 'bad_query' && Number.isFinite(err.position) ? charIndex(text, err.position) : -1;
    const parts = [h('span', { class: 'q-error-msg', text: at >= 0 ? `${msg} (at character ${at + 1})` : msg })];
    if (at >= 0) {
      parts.push(h('code', { class: 'q-echo', 'aria-hidden': 'true' },
        text.slice(0, at), h('mark', { text: text.slice(at, at + 1) || ' ' }), text.slice(at + 1)));
    }
    replace(el, ...parts);
    el.hidden = false;
    this.els.save.hidden = true;
    this.els.input.setAttribute('aria-invalid', 'true');
    this.els.input.setAttribute('aria-describedby', el.id);
  }

  clearError() {
    this.els.error.hidden = true;
    this.els.error.replaceChildren();
    this.els.input.removeAttribute('aria-invalid');
    this.els.input.removeAttribute('aria-describedby');
  }

  /* ---- saving and removing tabs ----------------------------------------------------------- */

  askName() {
    const f = this.els.saveForm;
    const name = f.elements.namedItem('name');
    if (Number.isFinite(this.limits.search_name)) name.maxLength = this.limits.search_name;
    name.value = this.view.q.slice(0, name.maxLength > 0 ? name.maxLength : 40);
    f.hidden = false;
    this.els.save.hidden = true;
    name.focus();
    name.select();
  }

  closeAsk(focusBack) {
    this.els.saveForm.hidden = true;
    this.showButtons();
    if (focusBack) this.els.input.focus();
  }

  async saveTab() {
    const name = this.els.saveForm.elements.namedItem('name').value.trim();
    if (!name) return;
    const q = this.view.q;
    const ok = await this.write([...this.list.map(({ name: n, q: s }) => ({ name: n, q: s })), { name, q }]);
    if (!ok) return;
    this.closeAsk(false);
    this.view.tab = name;
    store(this.view);
    this.show();
    this.tabEl(name)?.focus();
  }

  async remove(name) {
    if (!name || !this.list.some((s) => s.name === name)) return;
    const rest = this.list.filter((s) => s.name !== name).map(({ name: n, q }) => ({ name: n, q }));
    const shown = this.view.tab === name;
    if (!(await this.write(rest))) return;
    if (shown) this.home();
    this.tabEl(this.view.tab)?.focus();
  }

  /* Writes the list of saved searches; true when the core took it. */
  async write(list) {
    try {
      const r = await this.hub.call({ cmd: 'searches', set: list, now: Date.now() });
      this.setTabs(r.searches);
      return true;
    } catch (err) {
      this.showError({ message: describe(err).text }, '');
      return false;
    }
  }
}

/* The UTF-16 index in text of its UTF-8 byte offset (the core counts bytes). */
export function charIndex(text, byte) {
  const bytes = new TextEncoder().encode(text);
  const b = Math.max(0, Math.min(bytes.length, Math.trunc(byte)));
  return new TextDecoder().decode(bytes.subarray(0, b)).length;
}

function readStored() {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) || 'null');
    if (v && typeof v.q === 'string') return { q: v.q, tab: typeof v.tab === 'string' ? v.tab : null };
    const old = localStorage.getItem(OLD_KEY);
    if (old && old !== 'all' && /^[a-z]+$/.test(old)) return { q: 'source:' + old, tab: null };
  } catch { /* no storage */ }
  return { q: '', tab: null };
}

function store(view) {
  try { localStorage.setItem(KEY, JSON.stringify(view)); } catch { /* private mode: not remembered */ }
}
