/*
 * ui/empty.js — what the list area says when there are no cards.
 *
 * Three cases: nothing configured yet (point at Settings), a demo server (offer Refresh
 * at once), and configured but empty (Refresh, or all done). With a source filter on
 * (ctx.from other than 'all'), it says that this source has nothing and offers Show all; with
 * another search or tab (ctx.search: its name or text), that nothing matches it.
 */
import { h, replace } from './dom.js';
import * as icons from './icons.js';

/* What a filtered, empty list says: [title, text when the source is set up, text when not]. */
const FILTERED = {
  github: ['Nothing from GitHub', 'No open notifications, issues or pull requests from GitHub. Refresh later to check again.',
    'Add your GitHub username and a token in Settings, then Refresh.'],
  tangled: ['Nothing from tangled yet', 'No open issues or pulls from tangled.org. Refresh later to check again.',
    'Add your tangled handle in Settings, then Refresh.'],
  gfi: ['No good-first issues yet', 'None open and free right now. Refresh later to look again.',
    'Add a list or a search in Settings, then Refresh.'],
};

/* el: the empty-state container; ctx: {demo, configured, synced, from, sourceSet, search};
 * act: {refresh(), settings(), all()}. */
export function renderEmpty(el, ctx, act) {
  let title, text, buttons;
  const refresh = h('button', { type: 'button', class: 'btn btn-primary', on: { click: act.refresh } }, icons.refresh(), h('span', { text: 'Refresh' }));
  const settings = h('button', { type: 'button', class: 'btn', on: { click: act.settings } }, icons.gear(), h('span', { text: 'Settings' }));
  const filtered = FILTERED[ctx.from];
  if (ctx.search) {
    title = `Nothing in “${String(ctx.search).slice(0, 80)}”`;
    text = 'No card matches this search right now.';
    buttons = [h('button', { type: 'button', class: 'btn', on: { click: act.all }, text: 'Show the inbox' })];
  } else if (filtered) {
    title = filtered[0];
    text = ctx.sourceSet ? filtered[1] : filtered[2];
    const all = h('button', { type: 'button', class: 'btn', on: { click: act.all }, text: 'Show all' });
    buttons = ctx.sourceSet ? [refresh, all] : [settings, all];
    if (!ctx.sourceSet) settings.classList.add('btn-primary');
  } else if (ctx.demo) {
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
