/*
 * ui/snooze-menu.js — the inbox's snooze presets: 1 hour, tonight, tomorrow, next week, in the
 * device's local time (the same presets as the tip page, ui/tip-clock.js).
 *
 * One small popover, placed under the button or card it was opened from; the presets are
 * buttons (1–4 pick one through ui/keys.js, the arrows move between them, Esc or a click
 * elsewhere closes it and focus goes back where it was). Part of the page layer (web/ui).
 */
import { h } from './dom.js';
import { snoozePresets } from './tip-clock.js';

export class SnoozeMenu {
  constructor() {
    this.el = null;
    this.onPick = null;
    this.back = null;      /* the element focus returns to */
    this.presets = [];
    this.outside = (e) => { if (this.el && !this.el.contains(e.target)) this.close(false); };
  }

  get isOpen() { return !!this.el; }

  /* anchor: the element to open under; back: where focus returns; onPick(until ms). */
  open(anchor, back, onPick, nowMs = Date.now()) {
    this.close(false);
    this.onPick = onPick;
    this.back = back;
    this.presets = snoozePresets(nowMs);
    const buttons = this.presets.map((p, i) => h('button', {
      type: 'button', class: 'snooze-item', dataset: { preset: p.id }, 'aria-keyshortcuts': p.key,
      on: { click: () => this.pick(i) },
    }, h('span', { class: 'snooze-label', text: p.label }), h('span', { class: 'snooze-hint', text: p.hint }), h('kbd', { 'aria-hidden': 'true', text: p.key })));
    this.el = h('div', { class: 'snooze-pop', id: 'snooze-menu', role: 'group', 'aria-label': 'Snooze until' },
      h('p', { class: 'snooze-title', 'aria-hidden': 'true', text: 'Snooze until' }), buttons);
    this.el.addEventListener('keydown', (e) => this.onKey(e, buttons));
    document.body.append(this.el);
    const r = anchor.getBoundingClientRect();
    const w = this.el.offsetWidth, hgt = this.el.offsetHeight;
    const left = Math.max(8, Math.min(r.left, document.documentElement.clientWidth - w - 8));
    const below = r.bottom + 6 + hgt < window.innerHeight || r.top - 6 - hgt < 0;
    this.el.style.left = `${left + window.scrollX}px`;
    this.el.style.top = `${(below ? r.bottom + 6 : r.top - 6 - hgt) + window.scrollY}px`;
    buttons[0].focus({ preventScroll: true });
    setTimeout(() => document.addEventListener('pointerdown', this.outside), 0);
  }

  onKey(e, buttons) {
    const i = buttons.indexOf(document.activeElement);
    let to = -1;
    if (e.key === 'ArrowDown') to = (i + 1) % buttons.length;
    else if (e.key === 'ArrowUp') to = (i + buttons.length - 1) % buttons.length;
    else if (e.key === 'Home') to = 0;
    else if (e.key === 'End') to = buttons.length - 1;
    else if (e.key === 'Tab') { this.close(true); e.preventDefault(); return; }
    if (to < 0) return;
    e.preventDefault();
    buttons[to].focus();
  }

  /* Picks preset i (0–3); false when the menu is not open. */
  pick(i) {
    if (!this.el || !this.presets[i]) return false;
    const fn = this.onPick;
    const until = this.presets[i].until;
    this.close(true);
    fn?.(until);
    return true;
  }

  /* Closes the menu; focusBack: return focus where it was. */
  close(focusBack = true) {
    if (!this.el) return false;
    document.removeEventListener('pointerdown', this.outside);
    this.el.remove();
    this.el = null;
    if (focusBack && this.back?.isConnected) this.back.focus({ preventScroll: true });
    return true;
  }
}
