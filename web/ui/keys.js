/*
 * ui/keys.js — the keyboard shortcuts of the page.
 *
 * j / k move between cards, o opens the selected card, Enter expands it, r refreshes,
 * / or s opens Settings. Keys typed into a field, or with a modifier,
 * are left alone.
 */

/* actions: {next, prev, open, refresh, settings}; all functions. */
export function installKeys(actions) {
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t instanceof HTMLElement && (t.isContentEditable || t.closest('input, textarea, select, dialog'))) return;
    const fn = {
      j: actions.next, k: actions.prev, o: actions.open, r: actions.refresh,
      '/': actions.settings, s: actions.settings,
    }[e.key];
    if (!fn) return;
    e.preventDefault();
    fn();
  });
}
