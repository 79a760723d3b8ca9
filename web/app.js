/*
 * app.js — the page's entry point: starts the worker client and wires the UI modules.
 *
 * It owns no DOM building of its own: the header (ui/header.js), the Refresh panel
 * (ui/sync.js), the source filter (ui/filter.js), the card list (ui/cards.js), the empty state (ui/empty.js), Settings
 * (ui/settings.js), the update banner (ui/update.js) and the shortcuts (ui/keys.js)
 * each own their part. Everything shown comes from the worker through hub.call().
 */
import { HubClient } from './hub-client.js';
import { h, replace } from './ui/dom.js';
import { Header } from './ui/header.js';
import { SyncPanel } from './ui/sync.js';
import { CardList } from './ui/cards.js';
import { SourceFilter, SOURCES } from './ui/filter.js';
import { SettingsDialog } from './ui/settings.js';
import { renderEmpty } from './ui/empty.js';
import { registerServiceWorker } from './ui/update.js';
import { installKeys } from './ui/keys.js';
import { describe } from './ui/errors.js';
import { setMeta } from './ui/format.js';
import * as icons from './ui/icons.js';
import { Briefing } from './ui/brief.js';

const $ = (id) => document.getElementById(id);
const CARD_LIMIT = 200;

const state = { info: null, settings: null, synced: false };

function fatal(err) {
  const d = describe(err);
  const boot = $('boot');
  boot.hidden = false;
  boot.classList.add('boot-failed');
  replace(boot,
    h('strong', { text: 'hub could not start.' }),
    h('span', { text: d.kind === 'other' ? ' ' + d.text : ' ' + d.text, title: d.detail || null }),
    h('button', { type: 'button', class: 'btn btn-small', text: 'Reload', on: { click: () => location.reload() } }));
}

async function main() {
  registerServiceWorker($('update-banner'), $('update-button')).catch((e) => console.warn(e));

  $('refresh').prepend(icons.refresh());
  $('open-settings').append(icons.gear());

  const header = new Header({ statsEl: $('stats'), badgeEl: $('storage'), offlineEl: $('offline') });

  let hub;
  try {
    hub = new HubClient();
  } catch (err) { fatal(err); return; }

  const list = new CardList(hub, $('cards'), { user: () => state.settings?.github_user || '' });
  const briefing = new Briefing(hub, $('brief')); /* the briefing above the cards (ui/brief.js) */
  const sync = new SyncPanel(hub, {
    button: $('refresh'), progress: $('sync-progress'), progressText: $('sync-progress-text'),
    summary: $('run-summary'), problems: $('problems'),
  }, async (run) => {
    if (run) state.synced = true;
    try { /* a sync may have learned github_user from the token */
      state.settings = (await hub.call({ cmd: 'settings' })).settings;
      settingsDialog?.set(state.settings);
    } catch { /* keep what we had */ }
    await reload();
  });
  hub.onerror = (e) => {
    console.error('worker failure', e);
    if (!state.info) fatal(e?.error || e); else sync.showError(e?.error || e);
  };

  let settingsDialog = null;
  const openSettings = () => settingsDialog?.open();
  const refresh = () => { if (state.info) sync.start(); };
  const filter = new SourceFilter($('filter'), $('card-panel'), () => reload());

  /* Rebuilds the stats, the list for the chosen source and the per-source counts. Each
   * route is its own cards call (the core decides what belongs where). */
  async function reload() {
    const now = Date.now();
    const from = filter.value;
    briefing.refresh(now);
    const [stats, ...lists] = await Promise.all([
      hub.call({ cmd: 'stats' }).catch((e) => { sync.showError(e); return null; }),
      ...SOURCES.map((src) => hub.call({ cmd: 'cards', now, limit: CARD_LIMIT, from: src.from })
        .catch((e) => { if (src.from === from) sync.showError(e); return null; })),
    ]);
    if (stats) header.setStats(stats.stats);
    if (from !== filter.value) return; /* the user picked another tab meanwhile */
    const byFrom = Object.fromEntries(SOURCES.map((src, i) => [src.from, lists[i]?.cards]));
    const cards = byFrom[from];
    if (!cards) return;
    const counts = Object.fromEntries(SOURCES.map((src) => [src.from, byFrom[src.from]?.length ?? null]));
    filter.setCounts(counts, CARD_LIMIT);
    $('filter').hidden = !(counts.all > 0 || from !== 'all');
    list.render(cards);
    if (list.length && !performance.getEntriesByName('hub:first-card').length) performance.mark('hub:first-card');
    const empty = $('empty');
    empty.hidden = list.length > 0;
    if (!list.length) {
      const s = state.settings || {};
      const sourceSet = {
        github: !!(s.github_token_set || s.github_user),
        tangled: !!(s.tangled_handle || (Array.isArray(s.tangled_repos) && s.tangled_repos.length)),
        gfi: !!(s.gfi_awesome_url || s.gfi_query),
      };
      renderEmpty(empty, {
        demo: !!state.info?.defaults?.demo,
        configured: sourceSet.github,
        synced: state.synced,
        from,
        sourceSet: !!sourceSet[from],
      }, { refresh, settings: openSettings, all: () => filter.pick('all', false) });
    }
  }

  try {
    state.info = await hub.ready;
  } catch (err) { fatal(err); return; }
  setMeta(state.info.meta);

  header.setStorage(state.info.storage);
  if (state.info.version) $('version').textContent = 'hub ' + String(state.info.version).slice(0, 40);

  try {
    state.settings = (await hub.call({ cmd: 'settings' })).settings;
  } catch (err) { sync.showError(err); state.settings = {}; }

  settingsDialog = new SettingsDialog(hub, $('settings'), state.info.defaults, async (s) => {
    state.settings = s;
    await reload();
  });
  settingsDialog.set(state.settings);
  $('open-settings').addEventListener('click', openSettings);

  try {
    const last = (await hub.call({ cmd: 'last_run' })).run;
    if (last) { state.synced = true; sync.showRun(last); }
  } catch (err) { sync.showError(err); }

  await reload();
  $('boot').hidden = true;

  installKeys({
    next: () => list.move(1),
    prev: () => list.move(-1),
    open: () => list.openSelected(),
    refresh,
    settings: openSettings,
  });

  /* ages and scores drift with time: re-rank now and then while visible */
  const rerank = () => { if (!sync.busy && document.visibilityState === 'visible' && !settingsDialog.isOpen) reload(); };
  setInterval(rerank, 10 * 60 * 1000);
  let hiddenAt = 0;
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') hiddenAt = Date.now();
    else if (hiddenAt && Date.now() - hiddenAt > 5 * 60 * 1000) rerank();
  });
}

main().catch((err) => { console.error(err); fatal(err); });
