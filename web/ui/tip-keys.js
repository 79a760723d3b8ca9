/*
 * ui/tip-keys.js — the tip page's keyboard.
 *
 * d done · s snooze (then 1–4 for a preset, Esc to close) · x dismiss · + helpful ·
 * - not helpful · o open the item · i back to the inbox. Keys typed into a field, or with
 * Ctrl/Alt/Meta, are left alone; Shift is allowed (it is how "+" is typed).
 */

/* actions: {done, snooze, dismiss, helpful, notHelpful, open, back, preset(n), escape}. */
export function installTipKeys(actions) {
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    const t = e.target;
    if (t instanceof HTMLElement && (t.isContentEditable || t.closest('input, textarea, select'))) return;
    const k = e.key;
    let fn = null;
    if (k >= '1' && k <= '4') fn = () => actions.preset(Number(k) - 1);
    else {
      fn = {
        d: actions.done, D: actions.done,
        s: actions.snooze, S: actions.snooze,
        x: actions.dismiss, X: actions.dismiss,
        '+': actions.helpful, '=': actions.helpful,
        '-': actions.notHelpful, '_': actions.notHelpful, '−': actions.notHelpful,
        o: actions.open, i: actions.back,
        Escape: actions.escape,
      }[k] || null;
    }
    if (!fn) return;
    if (fn() !== false) e.preventDefault();
  });
}
