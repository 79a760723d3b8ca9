/*
 * console/main.js — the insight console's entry point (console.html; page layer).
 *
 * It starts its own HubClient (a separate page, so its own worker, like the tip page), then
 * mounts one panel per concern; each panel asks the core for its numbers with the console's
 * commands (events, console_bandit, tip_log, tip_analytics, data_quality, sql, saved_queries,
 * health, export/import/purge) and draws them with DOM calls only. Numbers are shown as the
 * core answers them (console/fmt.js keeps the exact value in data-v).
 *
 * window.hub.call(req) is the page's HubClient call, for the browser's developer tools and
 * the browser tests: the very commands the panels use, nothing more.
 */
import { HubClient } from '../hub-client.js';
import { h, replace } from '../ui/dom.js';
import { describe } from '../ui/errors.js';
import { registerServiceWorker } from '../ui/update.js';
import * as icons from '../ui/icons.js';
import { EventsPanel } from './events.js';
import { BanditPanel } from './bandit.js';
import { LogPanel } from './log.js';
import { RewardsPanel } from './rewards.js';
import { QualityPanel } from './quality.js';
import { SqlPanel } from './sql.js';
import { HealthPanel } from './health.js';
import { DataPanel } from './data.js';

const $ = (id) => document.getElementById(id);
const body = (id) => $(id).querySelector('.panel-body');

function showError(err) {
  const el = $('console-error');
  el.textContent = describe(err).text;
  el.hidden = false;
}

async function main() {
  registerServiceWorker($('update-banner'), $('update-button')).catch((e) => console.warn(e));
  $('back').prepend(icons.chevron());
  const offline = $('offline');
  replace(offline, icons.offline(), h('span', { text: 'Offline' }));
  const online = () => { offline.hidden = navigator.onLine !== false; };
  window.addEventListener('online', online);
  window.addEventListener('offline', online);
  online();

  const hub = new HubClient();
  hub.onerror = (e) => showError(e?.error || e);
  const info = await hub.ready;
  window.hub = { call: (req) => hub.call(req) };
  if (info.storage && info.storage.mode !== 'opfs') {
    const b = $('storage');
    b.textContent = info.storage.mode === 'memory' ? 'Not saved' : 'Separate copy';
    b.title = String(info.storage.note || '').slice(0, 300);
    b.hidden = false;
  }
  $('version').textContent = `hub ${info.version || ''} · schema ${info.meta?.schema ?? '?'}`;

  const ctx = { hub, info, meta: info.meta, refreshAll: null };
  const panels = [
    new EventsPanel(body('events'), ctx),
    new BanditPanel(body('bandit'), ctx),
    new LogPanel(body('log'), ctx),
    new RewardsPanel(body('rewards'), ctx),
    new QualityPanel(body('quality'), ctx),
    new SqlPanel(body('sql'), ctx),
    new HealthPanel(body('health'), ctx),
    new DataPanel(body('data'), ctx),
  ];
  ctx.refreshAll = async () => {
    $('refresh-all').disabled = true;
    try {
      for (const p of panels) {
        try { await p.refresh(); } catch (err) { p.fail?.(err); }
      }
    } finally {
      $('refresh-all').disabled = false;
      document.body.dataset.ready = String(Date.now());
    }
  };
  $('refresh-all').addEventListener('click', () => ctx.refreshAll());
  await ctx.refreshAll();
  $('boot').hidden = true;

  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t instanceof HTMLElement && (t.isContentEditable || t.closest('input, textarea, select, dialog'))) return;
    if (e.key === 'r') { e.preventDefault(); ctx.refreshAll(); }
    else if (e.key === 'i') { e.preventDefault(); location.assign('./'); }
  });
}

main().catch((err) => { console.error(err); $('boot').hidden = true; showError(err); });
