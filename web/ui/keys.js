/*
 * ui/keys.js — the keyboard of both pages, declared once: the inbox (index.html, page "list")
 * and the one tip (tip.html, page "tip").
 *
 * KEYS is the one table: each shortcut with the action it calls, what it does (per page when
 * the words differ) and the pages that have it. installKeys() dispatches from it and the `?`
 * dialog (ui/help.js) lists it, so the help cannot drift from what the keys do, and a key
 * means the same on both pages (e done, s snooze, x select, / search, `,` Settings …).
 * Keys typed into a field, with Ctrl/Alt/Meta, or while a modal dialog is open are left alone
 * (Shift is allowed: it is how M, *, #, ? and O are typed). Part of the page layer (web/ui).
 */

/* [group, [{keys, act, what: string | {list, tip}, pages}]] in the order the help shows them.
 * keys: what KeyboardEvent.key says; "g i" is g then i within 1.5 s. */
export const KEYS = [
  ['Move and open', [
    { keys: ['j'], act: 'next', what: 'next card', pages: ['list'] },
    { keys: ['k'], act: 'prev', what: 'previous card', pages: ['list'] },
    { keys: ['o', 'Enter'], act: 'open', what: { list: 'open the card (marks it read)', tip: 'open the item' }, pages: ['list', 'tip'] },
    { keys: ['O'], act: 'openLink', what: 'open the item in a new tab', pages: ['list', 'tip'] },
    { keys: ['Escape'], act: 'escape', what: { list: 'close the card, the menu or the selection', tip: 'close the menu' }, pages: ['list', 'tip'] },
    { keys: ['w'], act: 'why', what: 'why this score', pages: ['list'] },
  ]],
  ['Triage', [
    { keys: ['e'], act: 'done', what: 'done: leaves the inbox until it changes', pages: ['list', 'tip'] },
    { keys: ['s'], act: 'snooze', what: 'snooze, then 1–4 for a time', pages: ['list', 'tip'] },
    { keys: ['m'], act: 'read', what: 'mark read / unread', pages: ['list', 'tip'] },
    { keys: ['*'], act: 'save', what: 'save / unsave', pages: ['list', 'tip'] },
    { keys: ['M'], act: 'mute', what: 'mute the thread', pages: ['list', 'tip'] },
    { keys: ['#'], act: 'dismiss', what: 'dismiss', pages: ['list', 'tip'] },
    { keys: ['x'], act: 'select', what: 'select the card (keys then act on every selected card)', pages: ['list'] },
    { keys: ['z'], act: 'undo', what: 'undo the last action', pages: ['list', 'tip'] },
    { keys: ['+'], act: 'helpful', what: 'a good pick', pages: ['tip'] },
    { keys: ['-'], act: 'notHelpful', what: 'not a good pick', pages: ['tip'] },
  ]],
  ['Go', [
    { keys: ['/'], act: 'search', what: 'search', pages: ['list', 'tip'] },
    { keys: ['t'], act: 'tip', what: 'one tip', pages: ['list'] },
    { keys: ['g i'], act: 'inbox', what: 'the inbox', pages: ['list', 'tip'] },
    { keys: ['g c'], act: 'console', what: 'the insight console', pages: ['list', 'tip'] },
    { keys: ['g a'], act: 'activity', what: 'your activity heatmap', pages: ['list', 'tip'] },
    { keys: ['r'], act: 'refresh', what: 'refresh', pages: ['list'] },
    { keys: [','], act: 'settings', what: 'Settings', pages: ['list', 'tip'] },
    { keys: ['?'], act: 'help', what: 'this list', pages: ['list', 'tip'] },
  ]],
];

/* Aliases a keyboard may send for the same key (a typographic minus, "=" for an unshifted +). */
const ALIAS = { '−': '-', _: '-', '=': '+' };

/* Returns the entries of page as [group, entries] (entries' "what" resolved for the page). */
export function keysOf(page) {
  return KEYS.map(([group, list]) => [group, list.filter((k) => k.pages.includes(page))
    .map((k) => ({ ...k, what: typeof k.what === 'string' ? k.what : k.what[page] }))])
    .filter(([, list]) => list.length);
}

/* Returns the key names of act on page, as the help writes them ("g i", "Enter"). */
export function keysFor(page, act) {
  for (const [, list] of KEYS) for (const k of list) if (k.act === act && k.pages.includes(page)) return k.keys;
  return [];
}

/* page: 'list' | 'tip'; actions: {act: fn} for the acts of KEYS (missing ones are skipped) and
 * preset(i) for the digits 1–4 (snooze presets; return false when no menu is open). A handler
 * that returns false leaves the key to the browser. */
export function installKeys(page, actions) {
  const single = new Map();
  const afterG = new Map();
  for (const [, list] of keysOf(page)) {
    for (const k of list) {
      const fn = actions[k.act];
      if (typeof fn !== 'function') continue;
      for (const key of k.keys) {
        if (key.startsWith('g ')) afterG.set(key.slice(2), fn);
        else single.set(key, fn);
      }
    }
  }
  let g = 0; /* when "g" was pressed */
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const t = e.target;
    if (t instanceof HTMLElement && (t.isContentEditable || t.closest('input, textarea, select'))) return;
    if (document.querySelector('dialog[open]')) return; /* a dialog keeps its own keys (Esc closes it) */
    const key = ALIAS[e.key] || e.key;
    /* Enter and Escape on a control belong to it (a button clicks, a menu closes itself) */
    if ((key === 'Enter' || key === ' ') && t instanceof HTMLElement && t.closest('a, button, summary')) return;
    let fn = null;
    if (g && e.timeStamp - g < 1500 && afterG.has(key)) fn = afterG.get(key);
    else if (key === 'g' && afterG.size) { g = e.timeStamp; e.preventDefault(); return; }
    else if (key >= '1' && key <= '4' && key.length === 1 && actions.preset) fn = () => actions.preset(Number(key) - 1);
    else fn = single.get(key) || null;
    g = 0;
    if (!fn || e.repeat && !['j', 'k'].includes(key)) return;
    if (fn() !== false) e.preventDefault();
  });
}
