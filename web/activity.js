/*
 * activity.js — the activity page (activity.html): a calendar heatmap of the user's own commits
 * over two years, with repository and language filters (page layer).
 *
 * It starts its own HubClient (boot.js), like the tip page: the wasm core answers the
 * `activity` command (schema "activity" version 1) and the sync reads GitHub — no hubd needed.
 * With the setting "activity" off it offers to turn it on (and which login to read); Refresh
 * runs a sync. A filter asks the core again with repo / language; the filters' choices come from
 * the answer's unfiltered summaries. DOM: ui/heatmap.js (SVG squares); nothing here builds
 * markup from data.
 *
 * Test hook: activity.html?now=<epoch ms> runs the page's clock from that moment (ui/tip-clock.js).
 */
import { hub as bootHub, bootError } from './boot.js';
import { h, replace } from './ui/dom.js';
import { describe } from './ui/errors.js';
import { registerServiceWorker } from './ui/update.js';
import { makeClock } from './ui/tip-clock.js';
import { heatmapSpans, renderHeatmap, renderLegend, colorDot, dayStr } from './ui/heatmap.js';

const $ = (id) => document.getElementById(id);
const clock = makeClock(location.search);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LOGIN_RE = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const state = { hub: null, repo: '', language: '', busy: false, answer: null };

function say(text) { $('status').textContent = text || ''; }

function plural(n, one, many) { return `${n} ${n === 1 ? one : many}`; }

function monthYear(ms) {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/* The <select> of a filter: "All …" then the answer's names (busiest first). */
function fillSelect(sel, allLabel, entries, current) {
  const opts = [h('option', { value: '' }, allLabel)];
  let found = !current;
  for (const e of entries) {
    const name = String(e.name);
    if (name === current) found = true;
    opts.push(h('option', { value: name }, `${name} (${e.count})`));
  }
  if (!found) opts.push(h('option', { value: current }, current));
  replace(sel, opts);
  sel.value = current;
}

function render(ans) {
  state.answer = ans;
  const days = Array.isArray(ans.days) ? ans.days : [];
  const byDate = new Map(days.map((d) => [String(d.date), d]));
  const filtered = !!(state.repo || state.language);
  const what = [state.repo, state.language].filter(Boolean).join(' · ');
  $('summary').textContent = ans.total > 0
    ? `${plural(ans.total, 'commit', 'commits')} on ${plural(ans.active_days, 'day', 'days')} in the last two years${filtered ? ` — ${what}` : ''}`
    : (filtered ? `No commits for ${what}.` : 'No commits read yet — Refresh reads them from GitHub.');
  fillSelect($('repo'), 'All repositories', ans.repos || [], state.repo);
  fillSelect($('language'), 'All languages', ans.languages || [], state.language);
  const cals = heatmapSpans(ans).map((span) => {
    let n = 0;
    for (let ms = span.from; ms <= span.to; ms += 86400000) n += byDate.get(dayStr(ms))?.count || 0;
    const title = `${monthYear(span.from)} – ${monthYear(span.to)}`;
    return h('figure', { class: 'act-cal' },
      h('figcaption', null, h('span', { class: 'act-cal-range' }, title), h('span', { class: 'act-cal-n' }, plural(n, 'commit', 'commits'))),
      h('div', { class: 'act-scroll' }, renderHeatmap(span, byDate, ans.max || 0, `${title}: ${plural(n, 'commit', 'commits')}`)));
  });
  replace($('calendars'), cals);
  replace($('legend'), h('span', null, 'Less'), renderLegend(), h('span', null, 'More'));
  replace($('langs'), (ans.languages || []).slice(0, 16).map((l) => h('li', null,
    h('button', {
      type: 'button', class: ['act-chip', l.name === state.language && 'act-chip-on'],
      'aria-pressed': l.name === state.language ? 'true' : 'false',
      on: { click: () => setFilter('language', l.name === state.language ? '' : String(l.name)) },
    }, colorDot(l.color), h('span', null, String(l.name)), h('span', { class: 'act-chip-n' }, String(l.count))))));
  const pend = $('pending');
  pend.hidden = !(ans.pending > 0);
  pend.textContent = ans.pending > 0
    ? `The changed files of ${plural(ans.pending, 'commit', 'commits')} are still to be read: their languages fill in with the next refreshes.`
    : '';
}

async function load() {
  const settings = (await state.hub.call({ cmd: 'settings' })).settings || {};
  if (!settings.activity) {
    $('on').hidden = true;
    $('refresh').hidden = true;
    $('off').hidden = false;
    const login = $('login');
    if (!login.value) login.value = String(settings.activity_login || settings.github_user || '');
    say('');
    return;
  }
  $('off').hidden = true;
  $('refresh').hidden = false;
  const req = { cmd: 'activity', now: clock.now() };
  if (state.repo) req.repo = state.repo;
  if (state.language) req.language = state.language;
  render(await state.hub.call(req));
  $('on').hidden = false;
  say('');
}

async function setFilter(which, value) {
  state[which] = value;
  try { await load(); } catch (err) { say(describe(err).text); }
}

async function refresh() {
  if (state.busy) return;
  state.busy = true;
  $('refresh').disabled = true;
  say('Reading your commits from GitHub…');
  try {
    const run = await state.hub.sync((p) => say(`Reading your commits from GitHub… ${p.requests || 0} requests`));
    await load();
    say(run && run.status !== 'ok' ? `Refreshed (${run.status}).` : 'Refreshed.');
  } catch (err) {
    say(describe(err).text);
  } finally {
    state.busy = false;
    $('refresh').disabled = false;
  }
}

async function turnOn(e) {
  e.preventDefault();
  const login = $('login').value.trim();
  if (login && !LOGIN_RE.test(login)) { say('That is not a GitHub login.'); return; }
  try {
    const set = { activity: true };
    if (login) set.activity_login = login;
    await state.hub.call({ cmd: 'settings', set });
  } catch (err) { say(describe(err).text); return; }
  await load().catch((err) => say(describe(err).text));
  await refresh();
}

async function main() {
  registerServiceWorker($('update-banner'), $('update-button')).catch((e) => console.warn(e));
  state.hub = bootHub;
  if (!state.hub) { say(describe(bootError).text); return; }
  try { await state.hub.ready; } catch (err) { say(describe(err).text); return; }
  $('repo').addEventListener('change', (e) => setFilter('repo', e.target.value));
  $('language').addEventListener('change', (e) => setFilter('language', e.target.value));
  $('refresh').addEventListener('click', refresh);
  $('off').addEventListener('submit', turnOn);
  state.hub.onchanged = () => { if (!state.busy) load().catch(() => {}); };
  await load();
}

main().catch((err) => { console.error(err); say(describe(err).text); });
