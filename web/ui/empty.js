/*
 * ui/empty.js — what the list area says when there are no cards.
 *
 * Three cases: nothing configured yet (point at Settings), a demo server (offer Refresh
 * at once), and configured but empty (Refresh, or all done).
 */
import { h, replace } from './dom.js';
import * as icons from './icons.js';

/* el: the empty-state container; ctx: {demo, configured, synced, api};
 * act: {refresh(), settings()}. */
export function renderEmpty(el, ctx, act) {
  let title, text, buttons;
  const refresh = h('button', { type: 'button', class: 'btn btn-primary', on: { click: act.refresh } }, icons.refresh(), h('span', { text: 'Refresh' }));
  const settings = h('button', { type: 'button', class: 'btn', on: { click: act.settings } }, icons.gear(), h('span', { text: 'Settings' }));
  if (ctx.demo) {
    title = 'This is a demo server';
    text = 'It replays a recorded GitHub account, so no username or token is needed. Refresh to fill your inbox.';
    buttons = [refresh, settings];
  } else if (!ctx.configured) {
    title = 'Your inbox is empty';
    text = 'Add your GitHub username and a token in Settings, then Refresh.';
    buttons = [settings, refresh];
  } else if (ctx.synced) {
    title = 'Nothing needs you';
    text = 'No open notifications, issues or pull requests. Refresh later to check again.';
    buttons = [refresh];
  } else {
    title = 'Ready when you are';
    text = 'Refresh to fetch your notifications and your open issues and pull requests.';
    buttons = [refresh, settings];
  }
  replace(el,
    h('div', { class: 'empty-mark', 'aria-hidden': 'true' }, icons.inbox()),
    h('h2', { class: 'empty-title', text: title }),
    h('p', { class: 'empty-text', text }),
    h('div', { class: 'empty-actions' }, buttons));
}
