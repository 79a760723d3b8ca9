/*
 * ui/brief.js — the briefing above the cards: a headline and up to four themed sections
 * (accent colour, icon, priority), each item a button that shows its card.
 *
 * The core builds the briefing (the `brief` command): assembled by its rules on this device, or
 * written by an LLM in hubd and validated there. This module only draws it, with DOM nodes
 * (textContent; no markup from data). Accents and icons come from small fixed sets the page has
 * colours and drawings for; anything else falls back to grey and a dot. Whether the briefing and
 * each section are folded is remembered on this device.
 */
import { h, s, replace, safeHttpUrl } from './dom.js';
import { fullDate } from './format.js';
import * as icons from './icons.js';

const ACCENTS = new Set(['red', 'amber', 'blue', 'violet', 'green', 'grey']);
const FOLD_KEY = 'hub.brief.folded';      /* '1' when the whole briefing is folded */
const CLOSED_KEY = 'hub.brief.closed';    /* JSON array of section kinds folded */
const SHOW = 3;                           /* items shown per section before "Show N more" */

function icon(...parts) {
  return s('svg', {
    viewBox: '0 0 16 16', width: 16, height: 16, class: 'icon brief-icon', fill: 'none', stroke: 'currentColor',
    'stroke-width': 1.5, 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true',
  }, ...parts);
}

/* The drawings for the core's icon names (meta.brief.icons). */
const ICONS = {
  reply: () => icon(s('path', { d: 'M6.5 4 2.75 7.5 6.5 11' }), s('path', { d: 'M3 7.5h6.25a4 4 0 0 1 4 4v1' })),
  activity: () => icon(s('path', { d: 'M1.75 8h3l1.75-4.5 3 9 1.75-4.5h3' })),
  eye: () => icon(s('path', { d: 'M1.5 8S4 3.5 8 3.5 14.5 8 14.5 8 12 12.5 8 12.5 1.5 8 1.5 8z' }), s('circle', { cx: 8, cy: 8, r: 2 })),
  bug: () => icon(s('rect', { x: 5, y: 5, width: 6, height: 8, rx: 3 }),
    s('path', { d: 'M6 5.2V4a2 2 0 0 1 4 0v1.2M2.5 8.5H5M11 8.5h2.5M3 12l2-1M13 12l-2-1M3 5l2 1.5M13 5l-2 1.5' })),
  sprout: () => icon(s('path', { d: 'M8 14V7.5' }), s('path', { d: 'M8 8.5C8 5.5 6 4 2.75 4 2.75 7 4.75 8.5 8 8.5z' }),
    s('path', { d: 'M8 7c0-2.6 1.8-4.25 5.25-4.25C13.25 5.6 11.4 7 8 7z' })),
  star: () => icon(s('path', { d: 'M8 2.25l1.75 3.6 3.95.55-2.85 2.75.7 3.9L8 11.2l-3.55 1.85.7-3.9L2.3 6.4l3.95-.55z' })),
  bell: () => icon(s('path', { d: 'M4 11.5V7.25a4 4 0 0 1 8 0v4.25l1.25 1.25H2.75z' }), s('path', { d: 'M6.5 14.25h3' })),
  flame: () => icon(s('path', { d: 'M8 14.25c2.6 0 4.25-1.7 4.25-4.1C12.25 6.9 9.5 5.6 9 1.75 6.5 3.5 6.25 6 6.5 7.5 5.5 7 5 6 5 5 4.1 6 3.75 7.5 3.75 9.5c0 2.9 1.7 4.75 4.25 4.75z' })),
  dot: () => icon(s('circle', { cx: 8, cy: 8, r: 2.5, fill: 'currentColor', stroke: 'none' })),
};

/* The icon names the page can draw (a test compares them with meta.brief.icons). */
export const ICON_NAMES = Object.keys(ICONS).filter((k) => k !== 'dot');
export const ACCENT_NAMES = [...ACCENTS];

function read(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}

function readClosed() {
  try {
    const v = JSON.parse(read(CLOSED_KEY) || '[]');
    return new Set(Array.isArray(v) ? v.filter((x) => typeof x === 'string').slice(0, 8) : []);
  } catch { return new Set(); }
}

function store(key, value) {
  try { localStorage.setItem(key, value); } catch { /* private mode: not remembered */ }
}

function time(ms) {
  const d = new Date(Number(ms));
  return Number.isFinite(d.getTime()) ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
}

/* Shows the card of key in the list: scrolls to it, selects it and opens its details. When the
 * card is not in the list shown (another filter), opens the item's page instead. */
function reveal(key, item) {
  const li = [...document.querySelectorAll('#cards > li.card')].find((el) => el.dataset.key === key);
  if (li) {
    li.scrollIntoView({ block: 'center', behavior: 'smooth' });
    li.focus({ preventScroll: true });
    if (!li.classList.contains('is-open')) li.querySelector('button.more')?.click();
    return;
  }
  const url = safeHttpUrl(item?.url, true);
  if (url) window.open(url, '_blank', 'noopener,noreferrer');
}

export class Briefing {
  /* hub: HubClient; el: the <section> above the cards. */
  constructor(hub, el) {
    this.hub = hub;
    this.el = el;
    this.closed = readClosed();
    this.seq = 0;
  }

  /* Asks the core for the briefing at now and draws it; hides it when there is nothing to show
   * or the call fails (the cards stay the page's content either way). */
  async refresh(now = Date.now()) {
    const seq = ++this.seq;
    let b = null;
    try { b = (await this.hub.call({ cmd: 'brief', now })).brief; } catch (e) { console.warn('briefing', e); }
    if (seq !== this.seq) return; /* a newer refresh won */
    this.render(b);
  }

  render(b) {
    const sections = (Array.isArray(b?.sections) ? b.sections : []).filter((x) => x && Array.isArray(x.items));
    if (!b || !sections.length) { this.el.hidden = true; replace(this.el); return; }
    /* folded unless unfolded on this device before; at first folded on a phone, where the
     * cards must start above the fold */
    const stored = read(FOLD_KEY);
    const folded = stored === null ? !!globalThis.matchMedia?.('(max-width: 640px)').matches : stored === '1';
    const llm = b.source === 'llm';
    const model = typeof b.model === 'string' ? b.model.slice(0, 60) : 'an LLM';
    const mark = llm ? `Written by ${model} at ${time(b.at)}` : 'Assembled on this device';
    const body = h('div', { class: 'brief-body', id: 'brief-body', hidden: folded });
    const toggle = h('button', {
      type: 'button', class: 'brief-toggle', 'aria-expanded': String(!folded), 'aria-controls': 'brief-body',
      on: { click: () => {
        const fold = !body.hidden;
        body.hidden = fold;
        toggle.setAttribute('aria-expanded', String(!fold));
        store(FOLD_KEY, fold ? '1' : '0');
      } },
    }, icons.chevron(), h('h2', { class: 'brief-title', id: 'brief-title', text: 'Briefing' }));
    const ordered = sections.map((x, i) => [x, i])
      .sort((a, c) => (Number(a[0].priority) || 9) - (Number(c[0].priority) || 9) || a[1] - c[1]).map(([x]) => x);
    replace(body,
      h('p', { class: 'brief-headline', text: String(b.headline ?? '').slice(0, 300) }),
      h('div', { class: 'brief-sections' }, ordered.slice(0, 4).map((sec) => this.section(sec, b))));
    replace(this.el,
      h('div', { class: 'brief-head' }, toggle,
        h('span', { class: ['brief-source', llm && 'is-llm'], text: mark, title: fullDate(Math.floor(Number(b.at) / 1000)) })),
      body);
    this.el.dataset.source = llm ? 'llm' : 'rules';
    this.el.hidden = false;
  }

  section(sec, b) {
    const kind = String(sec.kind ?? '').slice(0, 20);
    const accent = ACCENTS.has(sec.accent) ? sec.accent : 'grey';
    const draw = Object.hasOwn(ICONS, sec.icon) ? ICONS[sec.icon] : ICONS.dot;
    const total = Number(b.counts?.[kind]);
    const items = sec.items.filter((it) => it && typeof it.key === 'string').slice(0, 5);
    const det = h('details', { class: ['brief-section', `brief-accent-${accent}`], dataset: { kind }, open: !this.closed.has(kind) },
      h('summary', { class: 'brief-summary' },
        h('span', { class: 'brief-mark' }, draw()),
        h('span', { class: 'brief-section-title', text: String(sec.title ?? '').slice(0, 60) }),
        h('span', { class: 'brief-count', text: Number.isFinite(total) && total > items.length ? `${items.length} of ${total}` : String(items.length) })),
      h('ul', { class: 'brief-items' }, items.map((it, i) => this.item(it, b.items?.[it.key], i >= SHOW)),
        items.length > SHOW ? this.more(items.length - SHOW) : null));
    det.addEventListener('toggle', () => {
      if (det.open) this.closed.delete(kind); else this.closed.add(kind);
      store(CLOSED_KEY, JSON.stringify([...this.closed]));
    });
    return det;
  }

  /* The "Show N more" switch at the end of a section's list. */
  more(n) {
    const btn = h('button', {
      type: 'button', class: 'brief-more', 'aria-expanded': 'false', text: `Show ${n} more`,
      on: { click: () => {
        const open = btn.getAttribute('aria-expanded') !== 'true';
        for (const li of btn.closest('ul').querySelectorAll('li.is-extra')) li.hidden = !open;
        btn.setAttribute('aria-expanded', String(open));
        btn.textContent = open ? 'Show fewer' : `Show ${n} more`;
      } },
    });
    return h('li', { class: 'brief-more-row' }, btn);
  }

  item(it, item, extra) {
    const title = typeof item?.title === 'string' && item.title.trim() ? item.title : it.key;
    const ref = item ? `${String(item.repo ?? '').slice(0, 100)}${Number(item.number) > 0 ? '#' + Number(item.number) : ''}` : '';
    return h('li', { class: extra && 'is-extra', hidden: extra },
      h('button', {
        type: 'button', class: 'brief-item', dataset: { key: it.key }, title: 'Show this card',
        on: { click: () => reveal(it.key, item) },
      },
      h('span', { class: 'brief-item-title', text: title.slice(0, 200) }),
      h('span', { class: 'brief-item-why' },
        ref ? h('span', { class: 'brief-item-ref', text: ref }) : null,
        h('span', { class: 'brief-item-reason', text: String(it.reason ?? '').slice(0, 200) }))));
  }
}
