/*
 * console/dialog.js — the console's one confirmation dialog (page layer), built with DOM calls.
 *
 * ask({title, text, confirm, danger, typed, option}) shows a modal <dialog>; it resolves to
 * null when cancelled, else {option: bool}. typed: a word the user must type before the
 * confirm button works (for "delete everything"). option: a checkbox label (e.g. "also forget
 * the log").
 */
import { h } from '../ui/dom.js';

export function ask({ title, text, confirm = 'OK', danger = false, typed = '', option = '' }) {
  return new Promise((resolve) => {
    const input = typed ? h('input', { type: 'text', id: 'ask-typed', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'ask-typed-hint' }) : null;
    const box = option ? h('input', { type: 'checkbox', id: 'ask-option' }) : null;
    const ok = h('button', { type: 'button', class: ['btn', danger ? 'btn-danger-solid' : 'btn-primary'], id: 'ask-ok', disabled: !!typed, text: confirm });
    const cancel = h('button', { type: 'button', class: 'btn', id: 'ask-cancel', text: 'Cancel' });
    const dlg = h('dialog', { class: 'dialog ask', id: 'ask', 'aria-labelledby': 'ask-title' },
      h('h2', { id: 'ask-title', text: title }),
      h('p', { text }),
      box ? h('label', { class: 'ask-option' }, box, ' ', option) : null,
      input ? h('label', { class: 'ask-typed' }, h('span', { id: 'ask-typed-hint', text: `Type “${typed}” to confirm` }), input) : null,
      h('div', { class: 'ask-actions' }, cancel, ok));
    let answer = null;
    if (input) input.addEventListener('input', () => { ok.disabled = input.value.trim().toLowerCase() !== typed; });
    ok.addEventListener('click', () => { answer = { option: box ? box.checked : false }; dlg.close(); });
    cancel.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => { dlg.remove(); resolve(answer); });
    document.body.appendChild(dlg);
    dlg.showModal();
    (input || cancel).focus();
  });
}
