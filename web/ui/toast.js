/*
 * ui/toast.js — the line at the bottom that says what a triage did, with its Undo button.
 *
 * show(text, {undo, error}) replaces what it says; it goes away after a while (longer with an
 * Undo to press), or at once with hide(). A polite live region, so screen readers hear each
 * action; an error is said assertively. Focus never moves to it: `z` undoes from anywhere.
 * Part of the page layer (web/ui).
 */
import { h, replace } from './dom.js';
import * as icons from './icons.js';

const SHOW_MS = 6000;
const UNDO_MS = 10000;

export class Toast {
  /* el: the container (index.html #toast). */
  constructor(el) {
    this.el = el;
    this.timer = 0;
    el.setAttribute('role', 'status');
    el.setAttribute('aria-live', 'polite');
  }

  /* text: what happened; opts.undo(): shows an Undo button; opts.error: said as a problem. */
  show(text, opts = {}) {
    clearTimeout(this.timer);
    const undo = opts.undo ? h('button', { type: 'button', class: 'toast-undo', 'aria-keyshortcuts': 'z', title: 'Undo (z)', on: { click: () => { this.hide(); opts.undo(); } } },
      icons.undo(), h('span', { text: 'Undo' }), h('kbd', { 'aria-hidden': 'true', text: 'z' })) : null;
    this.el.classList.toggle('is-error', !!opts.error);
    this.el.setAttribute('aria-live', opts.error ? 'assertive' : 'polite');
    replace(this.el, h('span', { class: 'toast-text', text }), undo);
    this.el.hidden = false;
    this.timer = setTimeout(() => this.hide(), opts.undo ? UNDO_MS : SHOW_MS);
  }

  hide() {
    clearTimeout(this.timer);
    if (this.el.contains(document.activeElement)) document.activeElement.blur();
    this.el.hidden = true;
  }
}
