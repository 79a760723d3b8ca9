// harness.mjs — shared set-up for hub's browser tests: Debian's Chromium driven by
// playwright-core (never a downloaded browser), hub-serve serving a copy of build/web, and
// the fake GitHub (tests/fake_upstream) on 127.0.0.1. Nothing leaves loopback.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, cpSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PLAYWRIGHT_CORE || join(process.cwd(), 'build/npm/node_modules/playwright-core'));

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFile(path, ms = 5000) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (existsSync(path)) {
      const s = readFileSync(path, 'utf8').trim();
      if (s) return s;
    }
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${path}`);
}

// Starts a process that writes its port to a file; returns {proc, port}.
async function startPortProc(bin, args, portFile) {
  const proc = spawn(bin, [...args, '--port', '0', '--port-file', portFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  const port = Number(await waitFile(portFile));
  return { proc, port };
}

export class Env {
  // scenario dirs for the fake upstream; config: first-visit defaults written to config.json;
  // fresh: recorded times moved so the newest is an hour old (as `make run` shows the demo)
  static async start({ scenarios = ['tests/exchanges/demo'], config = true, fresh = false } = {}) {
    const env = new Env();
    env.dir = mkdtempSync(join(tmpdir(), 'hub-browser-'));
    env.www = join(env.dir, 'www');
    cpSync('build/web', env.www, { recursive: true });
    const fakeArgs = fresh ? ['--fresh'] : [];
    for (const s of scenarios) fakeArgs.push('--dir', s);
    env.fake = await startPortProc('build/fake_upstream', fakeArgs, join(env.dir, 'api-port'));
    env.api = `http://127.0.0.1:${env.fake.port}`;
    if (config) writeFileSync(join(env.www, 'config.json'), JSON.stringify({ github_api: env.api, github_token: 'demo-token', demo: true }));
    env.serve = await startPortProc('build/hub-serve', ['--root', env.www], join(env.dir, 'web-port'));
    env.url = `http://127.0.0.1:${env.serve.port}/`;
    return env;
  }

  // serviceWorkers: 'block' keeps the service worker out (page.route then sees every request).
  // Each call makes a new context; close() closes them all.
  async launch({ persistent = true, serviceWorkers = 'allow' } = {}) {
    const opts = { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS };
    if (persistent) {
      this.profile = join(this.dir, `profile-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
      this.context = await chromium.launchPersistentContext(this.profile, { ...opts, serviceWorkers, viewport: { width: 1280, height: 800 } });
    } else {
      this.browser = await chromium.launch(opts);
      this.context = await this.browser.newContext({ serviceWorkers, viewport: { width: 1280, height: 800 } });
    }
    (this.contexts ||= []).push(this.context);
    return this.context;
  }

  async fakeStats() {
    const r = await fetch(`${this.api}/_fake/stats`);
    return r.json();
  }

  async fakeReset() {
    await fetch(`${this.api}/_fake/reset`, { method: 'POST' });
  }

  async fault(query) {
    await fetch(`${this.api}/_fake/fault?${query}`, { method: 'POST' });
  }

  async close() {
    for (const c of this.contexts || []) try { await c.close(); } catch (e) { /* already closed */ }
    try { if (this.browser) await this.browser.close(); } catch (e) { /* already closed */ }
    for (const p of [this.fake, this.serve]) if (p) p.proc.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// The first run as a new user does it on the page: Settings, the GitHub login, Save, Refresh;
// resolves when the run's summary shows.
export async function firstRefresh(page, user = 'octocat') {
  await page.click('#open-settings');
  await page.fill('#settings input[name=github_user]', user);
  await page.click('#settings [data-save]');
  await page.waitForSelector('#settings', { state: 'hidden' });
  await page.click('#refresh');
  await page.waitForSelector('#run-summary:not([hidden])', { timeout: 30000 });
}

// A tiny test runner: t(name, fn) collects; run() prints results and "N passed, N failed".
export function suite(name) {
  const tests = [];
  let passed = 0, failed = 0;
  const api = {
    test(tname, fn) { tests.push([tname, fn]); },
    check(cond, msg) {
      if (cond) { passed++; if (process.env.HUB_VERBOSE) console.log(`ok   ${msg}`); }
      else { failed++; console.log(`FAIL ${msg}`); }
    },
    async run() {
      for (const [tname, fn] of tests) {
        const t0 = Date.now();
        try {
          await fn();
          console.log(`ok   ${tname} (${Date.now() - t0} ms)`);
        } catch (e) {
          failed++;
          console.log(`FAIL ${tname}: ${e.stack || e}`);
        }
      }
      console.log(`${name}: ${passed} passed, ${failed} failed`);
      return failed === 0;
    },
  };
  return api;
}
