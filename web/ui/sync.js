/*
 * ui/sync.js — the Refresh button, its progress and Cancel, and the run summary.
 *
 * start() runs one hub.sync() at a time and shows requests done / planned, new / updated, and
 * any wait with its cause ("rate limit until 14:05", "retry 2 after an error, in 4 s"); Cancel
 * stops the run (hub.abort()). The summary keeps the last good refresh in view — "Updated 5 min
 * ago · 12 new · …", per source and skipped reasons behind a <details> — and a run that failed,
 * went offline, was cancelled or had nothing to do is shown beside it, in plain words
 * (ui/errors.js reads the run's code), never in its place. showRuns() takes the latest runs
 * (the runs command, newest first) at start-up and when another tab refreshed.
 */
import { h, replace } from './dom.js';
import { ago, clock, count, fullDate, plural, toMs, when } from './format.js';
import { describe, runProblems } from './errors.js';

/* A run whose numbers are worth showing as "the last refresh": it finished, fully or partly. */
export function isGood(run) {
  return !!run && (run.status === 'ok' || run.status === 'partial') && !nothingConfigured(run);
}

/* A run that asked nothing of anyone: no source is set up. */
export function nothingConfigured(run) {
  return !!run && run.status === 'ok' && !Number(run.requests) && !Number(run.planned) &&
    !(run.sources && typeof run.sources === 'object' && Object.keys(run.sources).length) &&
    !(Array.isArray(run.errors) && run.errors.length);
}

export class SyncPanel {
  /* hub: HubClient; els: {button, cancel, progress, progressText (the line), progressLabel (its
   * text), summary, problems};
   * onDone(run|null): called after every run, successful or not; openSettings(): the
   * "Nothing to refresh" line's button. */
  constructor(hub, els, onDone, openSettings) {
    this.hub = hub;
    this.els = els;
    this.onDone = onDone;
    this.openSettings = openSettings;
    this.running = false;
    this.last = null;      /* the latest run */
    this.good = null;      /* the latest good run (isGood) */
    this.error = null;     /* a failure outside any run (worker, storage) */
    els.button.addEventListener('click', () => this.start());
    els.cancel.addEventListener('click', () => this.cancel());
    /* keep "2 min ago" honest without re-rendering anything else */
    setInterval(() => { if (!this.running) this.draw(); }, 60000);
  }

  get busy() { return this.running; }

  /* Starts a sync unless one is running. Resolves when it ends; never rejects. */
  async start() {
    if (this.running) return;
    this.running = true;
    const { button, cancel, progress, progressText, progressLabel } = this.els;
    button.disabled = true;
    button.classList.add('is-busy');
    button.setAttribute('aria-busy', 'true');
    cancel.hidden = false;
    cancel.disabled = false;
    progress.hidden = false;
    progress.removeAttribute('value');
    progressText.hidden = false;
    progressLabel.textContent = 'Starting…';
    this.error = null;
    let run = null;
    try {
      run = await this.hub.sync((p) => this.progress(p));
      this.noteRun(run);
    } catch (err) {
      this.showError(err);
    } finally {
      cancel.hidden = true;
      progress.hidden = true;
      progressText.hidden = true;
    }
    try { await this.onDone?.(run); } catch (e) { console.error(e); }
    /* busy until the list shows what the run brought */
    this.running = false;
    button.disabled = false;
    button.classList.remove('is-busy');
    button.removeAttribute('aria-busy');
  }

  /* Asks the worker to stop the running sync; it ends as "cancelled" within moments. */
  cancel() {
    if (!this.running) return;
    this.els.cancel.disabled = true;
    this.els.progressLabel.textContent = 'Cancelling…';
    this.hub.abort();
  }

  progress(p) {
    const { progress, progressLabel } = this.els;
    if (!p) return;
    const done = Number(p.done ?? p.requests) || 0;
    const planned = Math.max(Number(p.planned) || 0, done);
    if (planned > 0) { progress.max = planned; progress.value = done; }
    const parts = [`${count(done)} / ${count(planned)} requests`];
    if (p.new) parts.push(`${count(p.new)} new`);
    if (p.updated) parts.push(`${count(p.updated)} updated`);
    const wait = waitText(p.wait || (p.waiting_until ? { until: p.waiting_until } : null));
    if (wait) parts.unshift(wait);
    progressLabel.textContent = parts.join(' · ');
  }

  /* runs: the latest runs, newest first (the runs command, or a snapshot's). */
  showRuns(runs) {
    const list = Array.isArray(runs) ? runs.filter((r) => r && typeof r === 'object') : [];
    this.last = list[0] || null;
    this.good = list.find(isGood) || null;
    this.draw();
  }

  /* run: the run a sync just returned. */
  noteRun(run) {
    if (!run) return;
    this.last = run;
    if (isGood(run)) this.good = run;
    this.draw();
  }

  draw() {
    const { summary, problems } = this.els;
    const good = this.good;
    const last = this.last;
    const open = summary.querySelector('details.run-more')?.open; /* keep it open across redraws */
    if (good) {
      summary.hidden = false;
      replace(summary, goodLine(good), moreDetails(good, open));
    } else {
      summary.replaceChildren();
      summary.hidden = true;
    }
    const items = [];
    if (last && last !== good && last.id !== good?.id) items.push(...failedLines(last, this.openSettings));
    else if (last && last.status === 'partial') items.push(...runProblems(last).map(problemEl));
    if (this.error) items.push(problemEl(describe(this.error, last?.limits)));
    replace(problems, items);
  }

  /* err: a rejection of hub.sync() or a worker-level failure. */
  showError(err) {
    this.error = err;
    this.draw();
  }
}

/* "Rate limit until 14:05" / "Retry 2 after an error, in 4 s" / "Waiting until 14:05". */
export function waitText(w) {
  if (!w) return '';
  const at = toMs(Number(w.until));
  if (!Number.isFinite(at) || at <= Date.now()) return '';
  const secs = Math.ceil((at - Date.now()) / 1000);
  const until = secs < 120 ? `in ${secs} s` : `until ${clock(at)}`;
  if (w.reason === 'retry') return `Retry ${Number(w.attempt) || 1} after an error, ${until}`;
  if (w.reason === 'rate_limit') return `Rate limit — waiting until ${clock(at)}`;
  return `Waiting ${until}`;
}

/* "● Updated 5 min ago · 12 new · 3 updated" */
function goodLine(run) {
  const t = run.finished || run.started;
  return h('p', { class: 'run-line' },
    h('span', { class: ['run-dot', 'run-' + run.status], 'aria-hidden': 'true' }),
    h('strong', { class: 'run-when', text: t ? 'Updated ' + ago(toMs(t) / 1000) : 'Updated', title: t ? fullDate(t) : null }),
    h('span', { class: 'run-nums', text: ` · ${count(run.new)} new · ${count(run.updated)} updated` }));
}

/* The lines for a latest run that is not good: why, in plain words, and when. */
function failedLines(run, openSettings) {
  const t = run.finished || run.started;
  const at = t ? ` (${when(t)})` : '';
  if (nothingConfigured(run)) {
    return [h('li', { class: 'problem problem-setup' },
      h('span', { text: 'Nothing to refresh: add a GitHub token in Settings (or a tangled handle, or a good-first-issue list or search), then Refresh.' }),
      openSettings ? h('button', { type: 'button', class: 'btn btn-small', text: 'Settings', on: { click: openSettings } }) : null)];
  }
  if (run.status === 'aborted') {
    const why = run.cancelled || (Array.isArray(run.errors) && run.errors.some((e) => /cancel/.test(String(e?.message))));
    return [problemEl({ kind: 'other', text: (why ? 'Refresh cancelled' : 'Refresh stopped') + at + '.', detail: '' })];
  }
  if (run.status === 'running') {
    return [problemEl({ kind: 'other', text: `The last refresh${at} did not finish.`, detail: '' })];
  }
  const found = runProblems(run);
  if (!found.length) return [problemEl({ kind: 'other', text: `The last refresh${at} failed.`, detail: '' })];
  return found.map((d, i) => problemEl(i === 0 ? { ...d, text: `Refresh${at}: ${d.text}` } : d));
}

/* The rest of the run behind one <details>: "40 unchanged · 3 skipped · 7 requests, 5 not
 * modified", then per source and the skipped items' reasons. */
function moreDetails(run, open) {
  const bits = [`${count(run.unchanged)} unchanged`];
  if (run.skipped) bits.push(`${count(run.skipped)} skipped`);
  bits.push(plural(Number(run.requests) || 0, 'request') + (run.not_modified ? `, ${count(run.not_modified)} not modified` : ''));
  return h('details', { class: 'run-more', open: !!open },
    h('summary', { text: bits.join(' · ') }),
    sourceLines(run.sources), skipList(run));
}

/* The sources in the order people think of them; others follow by name. */
const SOURCE_NAMES = { github: 'GitHub', tangled: 'tangled', gfi: 'Good first issues' };

/* Returns "12 new · 3 updated · 40 unchanged · 7 requests (5 not modified, 2 charged)". */
export function sourceText(st) {
  const n = (k) => Number(st?.[k]) || 0;
  const bits = [`${count(n('new'))} new`, `${count(n('updated'))} updated`, `${count(n('unchanged'))} unchanged`];
  if (n('skipped')) bits.push(`${count(n('skipped'))} skipped`);
  const paren = [];
  if (n('not_modified')) paren.push(`${count(n('not_modified'))} not modified`);
  if (n('charged')) paren.push(`${count(n('charged'))} charged`);
  bits.push(plural(n('requests'), 'request') + (paren.length ? ` (${paren.join(', ')})` : ''));
  return bits.join(' · ');
}

/* sources: run.sources ({name: stats}) or undefined (older stored runs): a list or null. */
function sourceLines(sources) {
  if (!sources || typeof sources !== 'object') return null;
  const known = Object.keys(SOURCE_NAMES);
  const names = Object.keys(sources).filter((k) => sources[k] && typeof sources[k] === 'object')
    .sort((a, b) => (known.includes(a) ? known.indexOf(a) : 99) - (known.includes(b) ? known.indexOf(b) : 99) || a.localeCompare(b));
  if (!names.length) return null;
  return h('ul', { class: 'run-sources', 'aria-label': 'By source' }, names.map((k) =>
    h('li', { class: 'run-source', dataset: { source: k.slice(0, 20) } },
      h('span', { class: 'run-source-name', text: SOURCE_NAMES[k] || k.slice(0, 30) }),
      h('span', { class: 'run-source-text', text: sourceText(sources[k]),
        title: 'charged: requests counted against a rate limit; not modified: answered from what is saved' }))));
}

/* run.skip_reasons ({reason: count}): a list, most frequent first, or null. */
function skipList(run) {
  const reasons = run.skip_reasons && typeof run.skip_reasons === 'object' ? run.skip_reasons : {};
  const rows = Object.entries(reasons).filter(([, n]) => Number(n) > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (!rows.length) return null;
  const total = Number(run.skipped) || rows.reduce((t, [, n]) => t + Number(n), 0);
  return h('div', { class: 'run-skips' },
    h('p', { class: 'run-skips-title', text: `${plural(total, 'item')} skipped — why` }),
    h('ul', null, rows.slice(0, 20).map(([why, n]) =>
      h('li', null, h('span', { class: 'skip-n', text: count(n) }), h('span', { text: String(why).slice(0, 160) })))),
    rows.length > 20 ? h('p', { class: 'muted', text: `and ${rows.length - 20} more reasons` }) : null);
}

function problemEl(d) {
  return h('li', { class: ['problem', 'problem-' + d.kind], title: d.detail || null }, d.text);
}
