/*
 * tip.js — the "one tip" page's entry point: a black page with the single next thing to do.
 *
 * It starts its own HubClient (its own worker, which owns the database or, when the list is
 * open in another tab, uses it through that tab: one database across tabs),
 * asks the core for a tip, and sends each reaction back with tip_feedback; the core updates
 * the LinUCB model at once, so the next tip is asked for straight after. The latency sent
 * with a reaction is the round trip of the `tip` call that served it, measured here.
 *
 * Test hook: tip.html?now=<epoch ms> runs the page's clock from that moment (see
 * ui/tip-clock.js) — everything the page sends as "now", and the snooze presets, follow it.
 *
 * tip.html#<item key> (a notification's click, web/sw.js) shows that item instead of asking for
 * a tip; no decision served it, so its reactions go through the `triage` command (done,
 * snooze, dismiss) and then the page asks for the next tip as usual. "Notify me" (ui/notify.js)
 * subscribes this device to its hubd's pushes; actions taken on a notification arrive here.
 * The keys are the inbox's (ui/keys.js, one table for both pages, listed by `?`): e done,
 * s snooze (then 1–4), # dismiss, m read / unread, * save, M mute (the `triage` command on
 * the tip's item), z undo, o open, / search and `,` Settings (on the inbox page), g i the inbox.
 *
 * DOM: ui/tip-view.js (the tip, presets, empty state), ui/tip-learned.js (footer line),
 * ui/help.js (the `?` dialog). Nothing here builds markup from data.
 */
import { hub as bootHub, bootError } from './boot.js';
import { h, replace } from './ui/dom.js';
import { describe } from './ui/errors.js';
import { registerServiceWorker } from './ui/update.js';
import * as icons from './ui/icons.js';
import { makeClock, tzOffsetMin, snoozePresets, when } from './ui/tip-clock.js';
import { noteSnooze, forgetSnooze, nextReturn } from './ui/tip-snoozes.js';
import { TipView } from './ui/tip-view.js';
import { renderLearned } from './ui/tip-learned.js';
import { installKeys } from './ui/keys.js';
import { KeysHelp } from './ui/help.js';
import { notifyButton, listenForActions, pushSupported } from './ui/notify.js';

const $ = (id) => document.getElementById(id);
const clock = makeClock(location.search);
const LIST = './';
const SAID = { done: 'Done.', snooze: 'Snoozed.', dismiss: 'Dismissed.', helpful: 'Noted: helpful.', not_helpful: 'Noted: not helpful.' };

const state = { hub: null, current: null, latencyUs: null, busy: false };
let view = null;

function say(text) {
  const el = $('tip-status');
  el.textContent = '';
  /* a fresh text node each time so screen readers announce repeats */
  if (text) requestAnimationFrame(() => { el.textContent = text; });
}

function fatal(err) {
  const d = describe(err);
  view.error(d, () => location.reload());
}

async function refreshLearned() {
  try {
    renderLearned($('learned'), await state.hub.call({ cmd: 'tip_stats' }));
  } catch { renderLearned($('learned'), null); }
}

/* The item a notification opened (tip.html#<key>), or ''. */
function pinnedKey() {
  try { return decodeURIComponent(location.hash.slice(1)).slice(0, 500); } catch { return ''; }
}

/* Shows the item key (from a notification) with the reactions; false when it is unknown. */
async function showPinned(key) {
  const now = clock.now();
  let card;
  try {
    card = (await state.hub.call({ cmd: 'card', now, key })).card;
  } catch { card = null; }
  if (!card || typeof card !== 'object' || card.key !== key) return false;
  const reasons = (Array.isArray(card.reasons) ? card.reasons : []).map((r) => String(r?.code || '').replace(/_/g, ' ')).filter(Boolean);
  const res = { tip: card, why: ['from a notification', ...reasons.slice(0, 2)].join(' · '), decision: null, pinned: true };
  state.current = res;
  state.latencyUs = null;
  view.show(res, snoozePresets(now));
  document.title = 'One tip — hub';
  return true;
}

/* Forgets the notification's item in the address (the next tip is the policy's again). */
function unpin() {
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
}

/* Asks the core for the next tip and shows it (or the empty state). */
async function next() {
  const key = pinnedKey();
  if (key && await showPinned(key)) return;
  if (key) unpin();
  const now = clock.now();
  const t0 = performance.now();
  let res;
  try {
    res = await state.hub.call({ cmd: 'tip', now, tz_offset_min: tzOffsetMin(now) });
  } catch (err) {
    state.current = null;
    view.error(describe(err), () => next());
    return;
  }
  state.latencyUs = Math.max(0, Math.round((performance.now() - t0) * 1000));
  if (res && res.tip && typeof res.tip === 'object') {
    state.current = res;
    view.show(res, snoozePresets(now));
    document.title = 'One tip — hub';
    return;
  }
  state.current = null;
  let noItems = false;
  try {
    const st = (await state.hub.call({ cmd: 'stats' })).stats;
    noItems = !!st && st.tracked === 0;
  } catch { /* say inbox zero */ }
  const back = nextReturn(clock.now());
  view.empty({ noItems, returnsAt: back ? when(back, clock.now()) : '', listHref: LIST });
  document.title = 'Inbox zero — hub';
}

/* A reaction to an item a notification opened: the same triage path as the list's. */
async function reactPinned(cur, reaction, until) {
  unpin();
  const action = { done: 'done', dismiss: 'dismiss', snooze: 'snooze' }[reaction];
  if (!action) return {};
  const req = { cmd: 'triage', now: clock.now(), action, keys: [cur.tip.key] };
  if (action === 'snooze') req.until = until;
  await state.hub.call(req);
  return { snooze_until: until };
}

/* Sends reaction for the shown tip, then shows the next one. until: snooze time (ms). */
async function react(reaction, until) {
  const cur = state.current;
  if (state.busy || !cur || !cur.tip) return;
  state.busy = true;
  $('stage').setAttribute('aria-busy', 'true');
  try {
    let res = {};
    if (cur.pinned) res = await reactPinned(cur, reaction, until);
    else {
      const req = { cmd: 'tip_feedback', decision: cur.decision, now: clock.now(), reaction };
      if (reaction === 'snooze') req.snooze_until = until;
      if (Number.isFinite(state.latencyUs)) req.latency_us = state.latencyUs;
      res = await state.hub.call(req);
    }
    const key = cur.tip.key;
    if (reaction === 'snooze') noteSnooze(key, Number.isFinite(res.snooze_until) ? res.snooze_until : until);
    else if (reaction === 'done' || reaction === 'dismiss') forgetSnooze(key);
    say(reaction === 'snooze' && until ? `Snoozed until ${when(until, clock.now())}.` : SAID[reaction]);
    await next();
    $('stage').querySelector('h1')?.focus({ preventScroll: true });
    refreshLearned();
  } catch (err) {
    say(describe(err).text);
  } finally {
    state.busy = false;
    $('stage').removeAttribute('aria-busy');
  }
}

/* The pill says only what a user must know: nothing is saved, or this tab keeps its own copy
 * (the rare fallback when another tab's storage could not be shared). A tab using the list
 * tab's database ("relay") shows the same data, so nothing to say. */
function showStorage(storage) {
  const note = $('storage-note');
  const mode = storage?.mode === 'relay' ? storage.owner_mode : storage?.mode;
  const separate = storage?.mode === 'idb' && /separate/i.test(String(storage.note || ''));
  note.hidden = !(mode === 'memory' || separate);
  note.textContent = mode === 'memory' ? 'Not saved' : 'Separate copy';
  note.title = String(storage?.note || '').slice(0, 300);
}

function snoozeWith(p) {
  if (p) react('snooze', p.until);
}

/* m, *, M on the tip's item: the inbox's triage (read / unread and save / unsave toggle); a
 * muted item leaves the candidates, so the next tip follows. */
async function triage(kind) {
  const cur = state.current;
  if (state.busy || !cur || !cur.tip) return;
  state.busy = true;
  try {
    const key = cur.tip.key;
    let action = kind;
    if (kind === 'read' || kind === 'save') {
      const card = (await state.hub.call({ cmd: 'card', key, now: clock.now() })).card;
      action = kind === 'read' ? (card.unread ? 'read' : 'unread') : (card.saved ? 'unsave' : 'save');
    }
    await state.hub.call({ cmd: 'triage', now: clock.now(), action, keys: [key] });
    say({ read: 'Marked read.', unread: 'Marked unread.', save: 'Saved.', unsave: 'Unsaved.', mute: 'Muted: this thread will not come back.' }[action]);
    if (action === 'mute') { unpin(); await next(); }
  } catch (err) {
    say(describe(err).text);
  } finally {
    state.busy = false;
  }
}

/* z: undoes the latest triage (a reaction's done, snooze or dismiss, or m * M); the item may
 * be the next tip again. */
async function undo() {
  if (state.busy) return;
  state.busy = true;
  try {
    const res = await state.hub.call({ cmd: 'undo', now: clock.now() });
    if (!res.batch) say('Nothing to undo.');
    else {
      say(`Undone: ${res.action}.` + (res.not_undone_upstream ? ' GitHub already has part of it.' : ''));
      await next();
    }
  } catch (err) {
    say(describe(err).text);
  } finally {
    state.busy = false;
  }
}

async function main() {
  registerServiceWorker($('update-banner'), $('update-button')).catch((e) => console.warn(e));
  $('back').prepend(icons.chevron());

  view = new TipView($('stage'), {
    done: () => react('done'),
    dismiss: () => react('dismiss'),
    helpful: () => react('helpful'),
    notHelpful: () => react('not_helpful'),
    preset: snoozeWith,
  });

  const offline = $('offline');
  replace(offline, icons.offline(), h('span', { text: 'Offline' }));
  const online = () => { offline.hidden = navigator.onLine !== false; };
  window.addEventListener('online', online);
  window.addEventListener('offline', online);
  online();

  state.hub = bootHub;   /* started by boot.js, before this module graph */
  if (!state.hub) { fatal(bootError); return; }
  state.hub.onerror = (e) => { console.error('worker failure', e); fatal(e?.error || e); };

  let info;
  try {
    info = await state.hub.ready;
  } catch (err) { fatal(err); return; }
  showStorage(info.storage);
  state.hub.onstorage = showStorage;

  await next();
  $('boot').hidden = true;
  refreshLearned();
  window.addEventListener('hashchange', () => { if (pinnedKey() && !state.busy) next(); });
  if (pushSupported()) document.querySelector('.tip-pills').prepend(notifyButton(state.hub, say));
  listenForActions(state.hub, (a) => {
    say(a.action === 'done' ? 'Done, from the notification.' : 'Snoozed, from the notification.');
    if (state.current?.tip?.key === a.key && !state.busy) { unpin(); next(); }
  });

  const help = new KeysHelp('tip');
  installKeys('tip', {
    done: () => react('done'),
    dismiss: () => react('dismiss'),
    helpful: () => react('helpful'),
    notHelpful: () => react('not_helpful'),
    snooze: () => { if (state.current && !state.busy) view.toggleSnooze(); },
    preset: (i) => {
      if (!view.snoozeOpen) return false;
      snoozeWith(snoozePresets(clock.now())[i]);
      return true;
    },
    escape: () => {
      if (!view.snoozeOpen) return false;
      view.toggleSnooze(false);
      return true;
    },
    open: () => view.open(),
    openLink: () => view.open(),
    read: () => triage('read'),
    save: () => triage('save'),
    mute: () => triage('mute'),
    undo,
    search: () => location.assign(LIST + '#search'),
    settings: () => location.assign(LIST + '#settings'),
    inbox: () => location.assign(LIST),
    console: () => location.assign('console.html'),
    activity: () => location.assign('activity.html'),
    help: () => help.open(),
  });
}

main().catch((err) => { console.error(err); if (view) fatal(err); });
