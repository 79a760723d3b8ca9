/*
 * app.js — the page's entry point: wires the worker client to the UI modules.
 *
 * It owns no DOM building of its own: the header (ui/header.js), the Refresh panel
 * (ui/sync.js), the source filter (ui/filter.js), the card list (ui/cards.js), the empty state
 * (ui/empty.js), Settings (ui/settings.js), the update banner (ui/update.js) and the shortcuts
 * (ui/keys.js) each own their part. Everything shown comes from the worker through hub.call().
 *
 * Start-up: the worker starts first (boot.js: it loads the wasm core and opens the database, or
 * finds the tab that has it open); meanwhile the page draws the last snapshot (snapshot.js) at
 * once, marked "from <time>"; when the worker is ready one first_screen command brings the live
 * list, counts, numbers and last run, and the list is brought up to date in place. Another
 * tab's change (hub.onchanged) re-reads the same way.
 */
import { hub, bootError } from './boot.js';
import { readSnapshot } from './snapshot.js';
import { h, replace } from './ui/dom.js';
import { Header } from './ui/header.js';
import { SyncPanel, isGood } from './ui/sync.js';
import { CardList } from './ui/cards.js';
import { SourceFilter } from './ui/filter.js';
import { SettingsDialog } from './ui/settings.js';
import { mountNotifySettings, listenForActions } from './ui/notify.js';
import { renderEmpty } from './ui/empty.js';
import { registerServiceWorker } from './ui/update.js';
import { installKeys } from './ui/keys.js';
import { describe } from './ui/errors.js';
import { setMeta } from './ui/format.js';
import * as icons from './ui/icons.js';
import { Briefing } from './ui/brief.js';

const $ = (id) => document.getElementById(id);
const CARD_LIMIT = 200;
const RUNS = 20;    /* runs read to find the last good one */

const state = { info: null, settings: null, synced: false, live: false };
const ui = { header: null, list: null, filter: null, sync: null, settings: null };

function fatal(err) {
  const d = describe(err);
  const boot = $('boot');
  boot.hidden = false;
  boot.classList.add('boot-failed');
  replace(boot,
    h('strong', { text: 'hub could not start.' }),
    h('span', { text: ' ' + d.text, title: d.detail || null }),
    h('button', { type: 'button', class: 'btn btn-small', text: 'Reload', on: { click: () => location.reload() } }));
}

function mark(name) {
  if (!performance.getEntriesByName(name).length) performance.mark(name);
}

const openSettings = () => ui.settings?.open();
const refresh = () => { if (state.info) ui.sync.start(); };

/* Draws a first screen (live or from the snapshot); resolves when every card is placed. */
function draw(from, cards, counts, stats) {
  if (stats) ui.header.setStats(stats);
  if (counts) {
    ui.filter.setCounts(counts, CARD_LIMIT);
    $('filter').hidden = !(counts.all > 0 || from !== 'all');
  }
  const done = ui.list.render(cards);
  if (ui.list.length) mark('hub:first-card');
  $('empty').hidden = ui.list.length > 0 || !state.live;
  return done;
}

/* The last snapshot, at once, before the worker is ready (nothing when it has no cards for
 * the chosen filter: the boot line stays until the live list). */
function paintSnapshot() {
  const snap = readSnapshot();
  if (!snap) return;
  const cards = snap.screens[ui.filter.value];
  setMeta({ reasons: snap.reasons });
  ui.sync.showRuns(snap.runs);
  if (!Array.isArray(cards) || !cards.length) return;
  $('cards').setAttribute('aria-busy', 'true'); /* until the live list is in */
  draw(ui.filter.value, cards, snap.counts, snap.stats);
  ui.header.setSnapshot(snap.at);
  $('boot').hidden = true;
}

async function rereadSettings() {
  try {
    state.settings = (await hub.call({ cmd: 'settings' })).settings;
    ui.settings?.set(state.settings);
  } catch { /* keep what we had */ }
}

/* Shows the latest run; when it is not a good one, reads the runs for the last good one
 * (the summary keeps it in view beside the failure). */
async function rereadRuns(last) {
  if (isGood(last)) { state.synced = true; ui.sync.showRuns([last]); return; }
  try {
    const runs = (await hub.call({ cmd: 'runs', limit: RUNS })).runs;
    if (runs.length) state.synced = true;
    ui.sync.showRuns(runs);
  } catch (e) { ui.sync.showError(e); }
}

/* Brings the numbers, the per-filter counts and the chosen filter's cards up to date. */
async function reload({ runs = false } = {}) {
  const from = ui.filter.value;
  let first;
  ui.briefing?.refresh(Date.now());
  try {
    first = await hub.call({ cmd: 'first_screen', now: Date.now(), limit: CARD_LIMIT, from });
  } catch (e) { ui.sync.showError(e); return; }
  if (from !== ui.filter.value) return; /* the user picked another tab meanwhile */
  state.live = true;
  ui.header.setSnapshot(null);
  const done = draw(from, first.cards, first.counts, first.stats);
  mark('hub:live');
  $('boot').hidden = true;
  if (runs) await rereadRuns(first.last_run);
  if (!ui.list.length && state.settings) showEmpty(from);
  await done;
  $('cards').removeAttribute('aria-busy');
}

function showEmpty(from) {
  const s = state.settings || {};
  const sourceSet = {
    github: !!(s.github_token_set || s.github_user),
    tangled: !!(s.tangled_handle || (Array.isArray(s.tangled_repos) && s.tangled_repos.length)),
    gfi: !!(s.gfi_awesome_url || s.gfi_query),
  };
  renderEmpty($('empty'), {
    demo: !!state.info?.defaults?.demo,
    configured: sourceSet.github,
    synced: state.synced,
    from,
    sourceSet: !!sourceSet[from],
  }, { refresh, settings: openSettings, all: () => ui.filter.pick('all', false) });
}

/* Another tab changed something (or synced): re-read, a burst at a time. */
let changedTimer = 0;
const changed = new Set();
function onChanged(cmd) {
  changed.add(cmd);
  clearTimeout(changedTimer);
  changedTimer = setTimeout(async () => {
    const cmds = new Set(changed);
    changed.clear();
    if (cmds.has('settings') || cmds.has('sync')) await rereadSettings();
    if (cmds.has('sync')) await rereadRuns();
    await reload();
  }, 30);
}

/* Builds the page's parts (no data yet). */
function build() {
  $('refresh').prepend(icons.refresh());
  $('open-settings').append(icons.gear());
  ui.header = new Header({ statsEl: $('stats'), badgeEl: $('storage'), offlineEl: $('offline'), snapEl: $('snap-note') });
  ui.list = new CardList(hub, $('cards'), { user: () => state.settings?.github_user || '' });
  ui.briefing = new Briefing(hub, $('brief')); /* the briefing above the cards (ui/brief.js) */
  ui.filter = new SourceFilter($('filter'), $('card-panel'), () => reload());
  ui.sync = new SyncPanel(hub, {
    button: $('refresh'), cancel: $('cancel-sync'), progress: $('sync-progress'),
    progressText: $('sync-progress-text'), progressLabel: $('sync-progress-label'),
    summary: $('run-summary'), problems: $('problems'),
  }, async (run) => {
    if (run) state.synced = true;
    await rereadSettings(); /* a sync may have learned github_user from the token */
    await reload();
  }, openSettings);
  hub.onerror = (e) => {
    console.error('worker failure', e);
    if (!state.info) fatal(e?.error || e); else ui.sync.showError(e?.error || e);
  };
  hub.onstorage = (storage) => ui.header.setStorage(storage);
  hub.onchanged = onChanged;
}

/* What needs the worker: the live screen, Settings, the keys, re-ranking now and then. */
async function start() {
  state.info = await hub.ready;
  setMeta(state.info.meta);
  performance.mark('hub:ready', { detail: { role: state.info.role, ...state.info.timing } });
  ui.header.setStorage(state.info.storage);
  if (state.info.version) $('version').textContent = 'hub ' + String(state.info.version).slice(0, 40);

  const settingsRead = hub.call({ cmd: 'settings' }).then((r) => r.settings, (err) => { ui.sync.showError(err); return {}; });
  await reload({ runs: true });
  state.settings = await settingsRead;
  if (!ui.list.length) showEmpty(ui.filter.value);

  ui.settings = new SettingsDialog(hub, $('settings'), state.info.defaults, async (s) => {
    state.settings = s;
    await reload();
  });
  ui.settings.set(state.settings);
  mountNotifySettings(hub, $('settings'), state.info.meta).refresh(state.settings); /* Web Push (ui/notify.js) */
  listenForActions(hub, () => reload());
  $('open-settings').addEventListener('click', openSettings);

  installKeys({
    next: () => ui.list.move(1),
    prev: () => ui.list.move(-1),
    open: () => ui.list.openSelected(),
    refresh,
    settings: openSettings,
  });

  /* ages and scores drift with time: re-rank now and then while visible */
  const rerank = () => { if (!ui.sync.busy && document.visibilityState === 'visible' && !ui.settings.isOpen) reload(); };
  setInterval(rerank, 10 * 60 * 1000);
  let hiddenAt = 0;
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') hiddenAt = Date.now();
    else if (hiddenAt && Date.now() - hiddenAt > 5 * 60 * 1000) rerank();
  });
}

async function main() {
  if (!hub) { fatal(bootError); return; }   /* started by boot.js, before this module graph */
  build();
  paintSnapshot();
  registerServiceWorker($('update-banner'), $('update-button')).catch((e) => console.warn(e));
  try {
    await start();
  } catch (err) {
    if (!state.info) fatal(err); else throw err;
  }
}

main().catch((err) => { console.error(err); fatal(err); });
