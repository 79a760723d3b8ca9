/*
 * ui/keys.js — the keyboard shortcuts of the page.
 *
 * j / k move between cards, o opens the selected card, Enter expands it, r refreshes,
 * / or s opens Settings, t goes to the one-tip page (tip.html), g then c the insight console
 * (console.html). Keys typed into a field, or with a modifier, are left alone.
 */

/* actions: {next, prev, open, refresh, settings, tip?}; all functions (tip defaults to
 * following the header's "One tip" link). */
export function installKeys(actions) {
  let g = 0; /* when "g" was pressed: "g c" opens the console */
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t instanceof HTMLElement && (t.isContentEditable || t.closest('input, textarea, select, dialog'))) return;
    if (e.key === 'g' || (g && e.timeStamp - g < 1500 && e.key === 'c')) {
      e.preventDefault();
      g = e.key === 'g' ? e.timeStamp : 0;
      if (e.key === 'c') window.location.assign('console.html');
      return;
    }
    g = 0;
    const fn = {
      j: actions.next, k: actions.prev, o: actions.open, r: actions.refresh,
      '/': actions.settings, s: actions.settings,
      t: actions.tip || openTip,
    }[e.key];
    if (!fn) return;
    e.preventDefault();
    fn();
  });
}

function openTip() {
  const a = document.getElementById('open-tip');
  window.location.assign(a instanceof HTMLAnchorElement ? a.href : 'tip.html');
}
