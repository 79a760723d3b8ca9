/*
 * ui/sync.js — the Refresh button, its progress bar and the run summary.
 *
 * start() runs one hub.sync() at a time, shows requests done / planned and new /
 * updated as they come, then a one-line summary of the run and its problems in plain
 * words (ui/errors.js). showRun() shows a run read back from last_run at start-up.
 * Under the summary, one line per source that did something (run.sources: GitHub,
 * tangled, good-first issues), and the skipped items' reasons behind a <details>.
 */
import { h, replace } from './dom.js';
import { ago, clock, count, plural, toMs } from './format.js';
import { describe, runProblems } from './errors.js';

export class SyncPanel {
  /* hub: HubClient; els: {button, progress, progressText, summary, problems};
   * onDone(run|null): called after every run, successful or not. */
  constructor(hub, els, onDone) {
    this.hub = hub;
    this.els = els;
    this.onDone = onDone;
    this.running = false;
    this.lastRun = null;
    els.button.addEventListener('click', () => this.start());
    /* keep "2 min ago" honest without re-rendering anything else */
    setInterval(() => { if (!this.running && this.lastRun) this.showRun(this.lastRun); }, 60000);
  }

  get busy() { return this.running; }

  /* Starts a sync unless one is running. Resolves when it ends; never rejects. */
  async start() {
    if (this.running) return;
    this.running = true;
    const { button, progress, progressText, problems } = this.els;
    button.disabled = true;
    button.classList.add('is-busy');
    button.setAttribute('aria-busy', 'true');
    progress.hidden = false;
    progress.removeAttribute('value');
    progressText.hidden = false;
    progressText.textContent = 'Starting…';
    problems.replaceChildren();
    this.els.summary.hidden = true;
    let run = null;
    try {
      run = await this.hub.sync((p) => this.progress(p));
      this.showRun(run);
    } catch (err) {
      this.showError(err);
    } finally {
      this.running = false;
      button.disabled = false;
      button.classList.remove('is-busy');
      button.removeAttribute('aria-busy');
      progress.hidden = true;
      progressText.hidden = true;
    }
    try { await this.onDone?.(run); } catch (e) { console.error(e); }
  }

  progress(p) {
    const { progress, progressText } = this.els;
    if (!p) return;
    const done = Number(p.done ?? p.requests) || 0;
    const planned = Math.max(Number(p.planned) || 0, done);
    if (planned > 0) { progress.max = planned; progress.value = done; }
    const parts = [`${count(done)} / ${count(planned)} requests`];
    if (p.new) parts.push(`${count(p.new)} new`);
    if (p.updated) parts.push(`${count(p.updated)} updated`);
    if (p.waiting_until && toMs(p.waiting_until) > Date.now()) {
      parts.unshift(`Rate-limited — waiting until ${clock(p.waiting_until)}`);
    }
    progressText.textContent = parts.join(' · ');
  }

  /* run: the run object of hub.sync() or last_run (null: nothing to show). */
  showRun(run) {
    this.lastRun = run || null;
    const { summary, problems } = this.els;
    if (!run) { summary.replaceChildren(); summary.hidden = true; return; }
    summary.hidden = false;
    const bits = [];
    if (run.status === 'running') bits.push('The last refresh did not finish');
    else if (run.status === 'aborted') bits.push('Refresh stopped');
    bits.push(`${count(run.new)} new`, `${count(run.updated)} updated`, `${count(run.unchanged)} unchanged`);
    if (run.skipped) bits.push(`${count(run.skipped)} skipped`);
    const req = plural(Number(run.requests) || 0, 'request') +
      (run.not_modified ? `, ${count(run.not_modified)} not modified` : '');
    bits.push(req);
    const when = run.finished || run.started;
    const whenText = when ? ago(toMs(when) / 1000) : '';
    const open = summary.querySelector('details.run-skips')?.open; /* keep it open across redraws */
    replace(summary,
      h('p', { class: 'run-line' },
        h('span', { class: ['run-dot', 'run-' + (['ok', 'partial', 'error'].includes(run.status) ? run.status : 'other')], 'aria-hidden': 'true' }),
        h('span', { text: bits.join(' · ') }),
        whenText ? h('span', { class: 'muted', text: ' · ' + whenText, title: new Date(toMs(when)).toLocaleString() }) : null),
      sourceLines(run.sources),
      skipDetails(run, open));
    replace(problems, runProblems(run).map(problemEl));
  }

  /* err: a rejection of hub.sync() or a worker-level failure. */
  showError(err) {
    replace(this.els.problems, problemEl(describe(err, this.lastRun?.limits)));
  }
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

/* run.skip_reasons ({reason: count}): a <details> listing them, most frequent first, or null. */
function skipDetails(run, open) {
  const reasons = run.skip_reasons && typeof run.skip_reasons === 'object' ? run.skip_reasons : {};
  const rows = Object.entries(reasons).filter(([, n]) => Number(n) > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (!rows.length) return null;
  const total = Number(run.skipped) || rows.reduce((t, [, n]) => t + Number(n), 0);
  return h('details', { class: 'run-skips', open: !!open },
    h('summary', { text: `${plural(total, 'item')} skipped — why` }),
    h('ul', null, rows.slice(0, 20).map(([why, n]) =>
      h('li', null, h('span', { class: 'skip-n', text: count(n) }), h('span', { text: String(why).slice(0, 160) })))),
    rows.length > 20 ? h('p', { class: 'muted', text: `and ${rows.length - 20} more reasons` }) : null);
}

function problemEl(d) {
  return h('li', { class: ['problem', 'problem-' + d.kind], title: d.detail || null }, d.text);
}
