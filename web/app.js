/*
 * app.js — the page's entry point: wires the worker client to the UI modules.
 *
 * It owns no DOM building of its own: the header (ui/header.js), the Refresh panel
 * (ui/sync.js), the search box and its saved-search tabs (ui/search.js), the card list
 * (ui/cards.js), triage with its bulk bar, snooze menu and undo toast (ui/triage.js), the empty
 * state (ui/empty.js), Settings (ui/settings.js), the update banner (ui/update.js), the
 * shortcuts (ui/keys.js) and their `?` list (ui/help.js) each own their part. Everything shown
 * comes from the worker through hub.call().
 *
 * Start-up: the worker starts first (boot.js: it loads the wasm core and opens the database, or
 * finds the tab that has it open); meanwhile the page draws the last snapshot (snapshot.js) at
 * once, marked "from <time>"; when the worker is ready one first_screen command (the current
 * search's cards, numbers, last run) and one searches command (the tabs with their counts)
 * bring the live list, and it is brought up to date in place. A triage, and another tab's
 * change (hub.onchanged), re-read the same way. index.html#settings opens Settings and
 * #search the search box (the tip page's `,` and `/` come here).
 */
import { hub, bootError } from './boot.js';
import { readSnapshot, screenKey } from './snapshot.js';
import { h, replace } from './ui/dom.js';
import { Header } from './ui/header.js';
import { SyncPanel, isGood } from './ui/sync.js';
import { CardList } from './ui/cards.js';
import { SearchBar } from './ui/search.js';
import { Triage } from './ui/triage.js';
import { Toast } from './ui/toast.js';
import { SnoozeMenu } from './ui/snooze-menu.js';
import { KeysHelp } from './ui/help.js';
import { renderEmpty } from './ui/empty.js';
import { registerServiceWorker } from './ui/update.js';
import { installKeys } from './ui/keys.js';
import { describe } from './ui/errors.js';
import { setMeta } from './ui/format.js';
import * as icons from './ui/icons.js';

const $ = (id) => document.getElementById(id);
const CARD_LIMIT = 200;
const RUNS = 20;    /* runs read to find the last good one */

const state = { info: null, settings: null, synced: false, live: false, total: 0 };
const ui = { header: null, list: null, search: null, triage: null, sync: null, settings: null };

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
function draw(cards, tabs, stats) {
  if (stats) ui.header.setStats(stats);
  if (tabs) ui.search.setTabs(tabs);
  const anyTab = Array.isArray(tabs) && tabs.some((t) => t.count > 0);
  if (tabs || cards.length) $('finder').hidden = !(anyTab || cards.length || ui.search.q || !$('finder').hidden);
  const done = ui.list.render(cards);
  ui.triage.rendered();
  if (ui.list.length) mark('hub:first-card');
  $('empty').hidden = ui.list.length > 0 || !state.live;
  return done;
}

/* The last snapshot, at once, before the worker is ready (nothing when it has no cards for
 * the current search: the boot line stays until the live list). */
function paintSnapshot() {
  const snap = readSnapshot();
  if (!snap) return;
  const cards = snap.screens[screenKey(ui.search.q, 'all')];
  setMeta({ reasons: snap.reasons });
  ui.sync.showRuns(snap.runs);
  if (!Array.isArray(cards) || !cards.length) return;
  $('cards').setAttribute('aria-busy', 'true'); /* until the live list is in */
  draw(cards, Array.isArray(snap.tabs) ? snap.tabs : null, snap.stats);
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

/* Brings the numbers, the tabs' counts and the current search's cards up to date. */
async function reload({ runs = false } = {}) {
  const q = ui.search.q;
  const epoch = ui.triage.epoch; /* triage answers this re-read will reflect */
  let first;
  /* the worker answers in order: the cards first, then the tabs' counts, then the briefing */
  const cards = hub.call({ cmd: 'first_screen', now: Date.now(), limit: CARD_LIMIT, from: 'all', q });
  const tabs = hub.call({ cmd: 'searches', now: Date.now() }).then((r) => r.searches, () => null);
  ui.briefing?.refresh(Date.now());
  try {
    first = await cards;
  } catch (e) {
    if (e.code === 'bad_query' && q === ui.search.q) badQuery(e, q);
    else if (e.code !== 'bad_query') ui.sync.showError(e);
    return;
  }
  if (q !== ui.search.q) return; /* the user picked another search meanwhile */
  state.live = true;
  state.total = Number(first.total) || 0;
  ui.header.setSnapshot(null);
  const done = draw(ui.triage.visible(first.cards, epoch), null, first.stats);
  mark('hub:live');
  $('boot').hidden = true;
  if (runs) await rereadRuns(first.last_run);
  if (!ui.list.length && state.settings) showEmpty();
  const list = await tabs;
  if (list && q === ui.search.q) drawTabs(list);
  await done;
  $('cards').removeAttribute('aria-busy');
}

/* The tabs with their counts (the finder shows once there is anything to find). */
function drawTabs(list) {
  ui.search.setTabs(list);
  if (list.some((t) => t.count > 0) || ui.list.length || ui.search.q) $('finder').hidden = false;
}

/* A search the core cannot parse: its message under the box, no cards. */
function badQuery(e, q) {
  ui.search.showError(e, q);
  state.total = 0;
  ui.list.render([]);
  ui.triage.rendered();
  $('finder').hidden = false;
  $('empty').hidden = true;
  $('boot').hidden = true;
  $('cards').removeAttribute('aria-busy');
}

/* The source a search is about when it is only "source:X" (the empty state names it). */
function sourceOf(q) {
  const m = /^source:(github|tangled|gfi)$/.exec(String(q || '').trim());
  return m ? m[1] : 'all';
}

function showEmpty() {
  const q = ui.search.q;
  const from = sourceOf(q);
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
    search: q && from === 'all' ? (ui.search.view.tab || q) : '',
  }, { refresh, settings: openSettings, all: () => ui.search.home() });
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
  ui.list = new CardList(hub, $('cards'), {
    user: () => state.settings?.github_user || '',
    onOpen: (card) => ui.triage.opened(card),
    onAct: (act, key, btn) => ui.triage.cardAct(act, key, btn),
    isChecked: (key) => ui.triage.isChecked(key),
    onCheck: (key, on) => ui.triage.toggle(key, on),
  });
  ui.search = new SearchBar(hub, {
    form: $('search'), input: $('q'), error: $('q-error'), tabs: $('tabs'), panel: $('card-panel'),
    save: $('save-tab'), remove: $('remove-tab'), saveForm: $('save-tab-form'),
  }, null, () => { ui.triage.clearSelection(); reload(); });
  ui.search.onEscape = () => ui.list.move(0);
  $('search').querySelector('.search-icon').append(icons.search());
  ui.toast = new Toast($('toast'));
  ui.help = new KeysHelp('list');
  ui.triage = new Triage(hub, {
    list: ui.list, bulkEl: $('bulk'), allBox: $('select-all'), toast: ui.toast, menu: new SnoozeMenu(),
    query: () => ui.search.q, total: () => state.total, reload: () => reload(),
  });
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

  /* the keys work from the first paint (the snapshot's cards); what needs the worker waits for it */
  const t = ui.triage;
  installKeys('list', {
    next: () => { t.o.menu.close(false); ui.list.move(1); },
    prev: () => { t.o.menu.close(false); ui.list.move(-1); },
    open: () => ui.list.openSelected(),
    openLink: () => ui.list.openLink(),
    escape: () => t.escape(),
    why: () => ui.list.toggleWhySelected(),
    done: () => t.done(), snooze: () => t.snooze(), read: () => t.read(), save: () => t.save(),
    mute: () => t.mute(), dismiss: () => t.dismiss(), select: () => t.select(), undo: () => t.undo(),
    preset: (i) => t.preset(i),
    search: () => ui.search.focus(),
    tip: () => window.location.assign($('open-tip').href),
    inbox: () => { ui.search.home(); ui.list.move(0); },
    console: () => window.location.assign('console.html'),
    activity: () => window.location.assign('activity.html'),
    refresh,
    settings: openSettings,
    help: () => ui.help.open(),
  });
}

/* Settings (with its outbox part), Web Push and the briefing are not needed for the first
 * paint: their modules run after it, while the worker starts (in the shipped bundle their
 * code is in app.js, run on this call; unbundled they are fetched now). */
function later() {
  return Promise.all([import('./ui/settings.js'), import('./ui/notify.js'), import('./ui/brief.js')]);
}

/* What needs the worker: the live screen, Settings, the keys, re-ranking now and then. */
async function start(parts) {
  state.info = await hub.ready;
  const [{ SettingsDialog }, { mountNotifySettings, listenForActions }, { Briefing }] = await parts;
  ui.briefing = new Briefing(hub, $('brief')); /* the briefing above the cards (ui/brief.js) */
  setMeta(state.info.meta);
  ui.search.limits = state.info.meta?.limits || {};
  performance.mark('hub:ready', { detail: { role: state.info.role, ...state.info.timing } });
  ui.header.setStorage(state.info.storage);
  if (state.info.version) $('version').textContent = 'hub ' + String(state.info.version).slice(0, 40);

  const settingsRead = hub.call({ cmd: 'settings' }).then((r) => r.settings, (err) => { ui.sync.showError(err); return {}; });
  await reload({ runs: true });
  state.settings = await settingsRead;
  if (!ui.list.length) showEmpty();

  ui.settings = new SettingsDialog(hub, $('settings'), state.info.defaults, async (s) => {
    state.settings = s;
    await reload();
  });
  ui.settings.setMeta(state.info.meta);
  ui.settings.set(state.settings);
  mountNotifySettings(hub, $('settings'), state.info.meta).refresh(state.settings); /* Web Push (ui/notify.js) */
  listenForActions(hub, () => reload());
  $('open-settings').addEventListener('click', openSettings);

  if (location.hash === '#settings') openSettings();
  else if (location.hash === '#search') ui.search.focus();
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);

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
  mark('hub:main'); /* every module in and evaluated (tests/browser/bench.mjs splits the start) */
  if (!hub) { fatal(bootError); return; }   /* started by boot.js, before this module graph */
  build();
  paintSnapshot();
  const parts = later();
  registerServiceWorker($('update-banner'), $('update-button')).catch((e) => console.warn(e));
  try {
    await start(parts);
  } catch (err) {
    if (!state.info) fatal(err); else throw err;
  }
}

main().catch((err) => { console.error(err); fatal(err); });
