/*
 * ui/icons.js — the page's few icons, drawn as static SVG with createElementNS.
 *
 * 16×16 stroke icons, coloured by currentColor; no data ever reaches them.
 */
import { s } from './dom.js';

/* Each icon is built once per argument (a label, or on/off) and cloned after that: a card
 * has eight icons, and building them attribute by attribute was most of a card's DOM work. */
const made = new Map();
function memo(name, make) {
  return (arg) => {
    const key = `${name}\u0000${arg ?? ''}`;
    let icon = made.get(key);
    if (!icon) { icon = make(arg); made.set(key, icon); }
    return icon.cloneNode(true);
  };
}

function icon(label, ...parts) {
  const svg = s('svg', {
    viewBox: '0 0 16 16', width: 16, height: 16, class: 'icon',
    fill: 'none', stroke: 'currentColor', 'stroke-width': 1.5,
    'stroke-linecap': 'round', 'stroke-linejoin': 'round',
    'aria-hidden': label ? null : 'true', role: label ? 'img' : null,
  }, ...parts);
  if (label) svg.prepend(s('title', { text: label }));
  return svg;
}

export const issue = memo('issue', (label) => icon(label,
  s('circle', { cx: 8, cy: 8, r: 6.25 }),
  s('circle', { cx: 8, cy: 8, r: 1.25, fill: 'currentColor', stroke: 'none' })));

export const pull = memo('pull', (label) => icon(label,
  s('circle', { cx: 4, cy: 3.5, r: 1.75 }),
  s('circle', { cx: 4, cy: 12.5, r: 1.75 }),
  s('circle', { cx: 12, cy: 12.5, r: 1.75 }),
  s('path', { d: 'M4 5.25v5.5M12 10.75V6.5a2 2 0 0 0-2-2H7.5M9 3l-1.5 1.5L9 6' })));

export const comment = memo('comment', () => icon(null,
  s('path', { d: 'M2.75 3.25h10.5v7h-6l-3 2.5v-2.5h-1.5z' })));

export const reaction = memo('reaction', () => icon(null,
  s('circle', { cx: 8, cy: 8, r: 6.25 }),
  s('path', { d: 'M5.5 9.5c.6.9 1.5 1.4 2.5 1.4s1.9-.5 2.5-1.4' }),
  s('path', { d: 'M6 6.25v.5M10 6.25v.5' })));

export const refresh = memo('refresh', () => icon(null,
  s('path', { d: 'M13.25 8a5.25 5.25 0 1 1-1.54-3.71' }),
  s('path', { d: 'M13.25 2.5v3h-3' })));

export const gear = memo('gear', () => icon(null,
  s('circle', { cx: 8, cy: 8, r: 2 }),
  s('path', { d: 'M8 1.75v1.5M8 12.75v1.5M1.75 8h1.5M12.75 8h1.5M3.6 3.6l1.05 1.05M11.35 11.35l1.05 1.05M3.6 12.4l1.05-1.05M11.35 4.65l1.05-1.05' }),
  s('circle', { cx: 8, cy: 8, r: 4.5 })));

export const external = memo('external', () => icon(null,
  s('path', { d: 'M9.5 2.75h3.75V6.5M13.25 2.75 7.5 8.5M11.5 9.5v3.75H2.75V4.5H6.5' })));

export const chevron = memo('chevron', () => icon(null, s('path', { d: 'M6 3.5 10.5 8 6 12.5' })));

export const inbox = memo('inbox', () => icon(null,
  s('path', { d: 'M2 9.5 3.75 3h8.5L14 9.5v3.75H2z' }),
  s('path', { d: 'M2 9.5h3.5l1 1.75h3l1-1.75H14' })));

export const offline = memo('offline', () => icon(null,
  s('path', { d: 'M2 2l12 12M5.2 8.6a4 4 0 0 1 2-.9M3 6.4A7 7 0 0 1 5 5.1M8.5 5.1A7 7 0 0 1 13 6.4M10.8 8.6a4 4 0 0 0-.6-.4' }),
  s('circle', { cx: 8, cy: 11.5, r: .75, fill: 'currentColor', stroke: 'none' })));

/* triage: done, snooze, save, read, mute, dismiss, undo, search */
export const check = memo('check', () => icon(null, s('path', { d: 'M3 8.5 6.5 12 13 4.5' })));

export const clock = memo('clock', () => icon(null,
  s('circle', { cx: 8, cy: 8, r: 6.25 }),
  s('path', { d: 'M8 4.5V8l2.5 1.5' })));

export const star = memo('star', (filled) => icon(null,
  s('path', { d: 'M8 1.9l1.85 3.9 4.25.55-3.1 2.95.8 4.2L8 11.45 4.2 13.5l.8-4.2-3.1-2.95 4.25-.55z', fill: filled ? 'currentColor' : 'none' })));

export const envelope = memo('envelope', (open) => icon(null, open
  ? s('path', { d: 'M2.25 6.5 8 2.75l5.75 3.75v6.75H2.25zM2.25 6.5 8 10l5.75-3.5' })
  : s('path', { d: 'M2.25 3.75h11.5v8.5H2.25zM2.25 4.25 8 8.75l5.75-4.5' })));

export const mute = memo('mute', () => icon(null,
  s('path', { d: 'M6.5 3.2A3.5 3.5 0 0 1 11.5 6.5v2.75l1.25 2H4.6M4.5 6.5v2.75l-1.25 2M6.75 13.25h2.5M2 2l12 12' })));

export const dismiss = memo('dismiss', () => icon(null, s('path', { d: 'M4 4l8 8M12 4l-8 8' })));

export const undo = memo('undo', () => icon(null,
  s('path', { d: 'M5.5 3 2.75 5.75 5.5 8.5' }),
  s('path', { d: 'M2.75 5.75h6.5a3.75 3.75 0 0 1 0 7.5H6.5' })));

export const search = memo('search', () => icon(null,
  s('circle', { cx: 7, cy: 7, r: 4.25 }),
  s('path', { d: 'M10.25 10.25 13.5 13.5' })));
