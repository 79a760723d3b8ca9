// brief.test.mjs — the briefing above the cards, in Debian's Chromium against the fake GitHub (the
// demo account and a good-first-issue list, recorded times moved to now as `make run` shows them):
// sections with accent, icon and items after the first refresh; the same briefing the native CLI
// prints for the same upstream; hostile titles as text; an item opening its card; folding
// remembered across a reload; every icon and accent the core may name drawn by the page; a
// good-first issue's AI help in its detail; screenshots (phone and desktop, light and dark) in
// build/out/screens for people to look at.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Env, suite } from './harness.mjs';

const s = suite('brief');
const env = await Env.start({ scenarios: ['tests/exchanges/demo', 'tests/exchanges/gfi'], fresh: true, config: false });
const gfiUrl = `${env.api}/hub-tests/awesome-small/main/data.json`;
writeFileSync(join(env.www, 'config.json'), JSON.stringify({
  github_api: env.api, github_token: 'demo-token', demo: true, settings: { gfi_awesome_url: gfiUrl },
}));
const SHOTS = 'build/out/screens';
mkdirSync(SHOTS, { recursive: true });
const ctx = await env.launch({ persistent: true });
const page = ctx.pages()[0] || await ctx.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.on('dialog', (d) => { pageErrors.push('dialog: ' + d.message()); d.dismiss().catch(() => {}); });

async function waitBoot() {
  await page.waitForSelector('#boot', { state: 'hidden', timeout: 20000 });
}

/* What the page shows: headline, source mark, sections (kind, accent, icon, keys, title). */
const shown = () => page.evaluate(() => ({
  headline: document.querySelector('#brief .brief-headline')?.textContent,
  source: document.querySelector('#brief .brief-source')?.textContent,
  sections: [...document.querySelectorAll('#brief .brief-section')].map((e) => ({
    kind: e.dataset.kind,
    accent: [...e.classList].find((c) => c.startsWith('brief-accent-')),
    icon: !!e.querySelector('.brief-mark svg'),
    title: e.querySelector('.brief-section-title')?.textContent,
    open: e.open,
    keys: [...e.querySelectorAll('.brief-item')].map((b) => b.dataset.key),
  })),
}));

/* The CLI against the same upstream: hub sync, then hub brief --json (and meta). */
function cli() {
  const dir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
  try {
    const e = { ...process.env, HUB_DB: join(dir, 'hub.db'), HUB_GITHUB_API: env.api, GITHUB_TOKEN: 'demo-token' };
    execFileSync('build/hub', ['settings', JSON.stringify({ github_user: 'octocat', gfi_awesome_url: gfiUrl })], { env: e, stdio: 'ignore' });
    execFileSync('build/hub', ['sync'], { env: e, stdio: 'ignore' });
    const brief = JSON.parse(execFileSync('build/hub', ['brief', '--json'], { env: e }).toString()).brief;
    const text = execFileSync('build/hub', ['brief'], { env: e }).toString();
    const meta = JSON.parse(execFileSync('build/hub', ['call', '{"cmd":"meta"}'], { env: e }).toString());
    return { brief, text, meta };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let first = null;

s.test('after the first refresh: a headline and themed sections above the cards', async () => {
  await page.goto(env.url);
  await waitBoot();
  s.check(await page.isHidden('#brief'), 'no briefing before there are items');
  await page.click('#refresh');
  await page.waitForSelector('#brief:not([hidden]) .brief-section', { timeout: 30000 });
  await page.waitForFunction(() => document.querySelectorAll('#cards > li[data-key]').length > 0);
  first = await shown();
  const kinds = first.sections.map((x) => x.kind);
  s.check(JSON.stringify(kinds) === JSON.stringify(['reply', 'work', 'look', 'gfi']), `four sections in priority order (${kinds})`);
  s.check(first.sections.every((x) => x.icon && x.accent && x.keys.length >= 1 && x.keys.length <= 5 && x.open),
    'each with its accent, its icon and 1–5 items, open');
  s.check(/^3 reviews are waiting on you — the oldest opened \d+ days ago/.test(first.headline), `headline from the facts: "${first.headline}"`);
  s.check(first.source === 'Assembled on this device', `marked as assembled on this device ("${first.source}")`);
  const above = await page.evaluate(() => document.querySelector('#brief').compareDocumentPosition(document.querySelector('#cards')) & Node.DOCUMENT_POSITION_FOLLOWING);
  s.check(above !== 0, 'the briefing is above the cards');
  const c = cli();
  const cliKinds = c.brief.sections.map((x) => x.kind);
  const cliKeys = c.brief.sections.flatMap((x) => x.items.map((i) => i.key));
  s.check(c.brief.headline === first.headline && JSON.stringify(cliKinds) === JSON.stringify(kinds) &&
    JSON.stringify(cliKeys) === JSON.stringify(first.sections.flatMap((x) => x.keys)),
  'the same briefing as the native CLI for the same upstream (headline, sections, items)');
  s.check(/^Briefing, assembled on this device at /.test(c.text) && c.text.includes(first.headline) && c.text.includes('Needs your reply ('),
    'hub brief prints it for people');
  const drawn = await page.evaluate(async () => { const m = await import('./ui/brief.js'); return { icons: m.ICON_NAMES, accents: m.ACCENT_NAMES }; });
  const same = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
  s.check(same(drawn.icons, c.meta.brief.icons) && same(drawn.accents, c.meta.brief.accents),
    `the page draws every icon and accent the core may send (${drawn.icons.length} icons, ${drawn.accents.length} accents)`);
  console.log('briefing as the page shows it:\n' + await page.evaluate(() => document.querySelector('#brief').innerText));
});

s.test('hostile titles are text in the briefing', async () => {
  const titles = await page.$$eval('#brief .brief-item-title', (els) => els.map((e) => e.textContent));
  s.check(titles.some((t) => t.includes('<img src=x onerror=alert(1)>')), 'the hostile title is shown literally');
  s.check(await page.$$eval('#brief img, #brief script', (els) => els.length) === 0, 'no markup from data in the briefing');
});

s.test('an item opens its card', async () => {
  const key = first.sections[0].keys[1];
  await page.click(`#brief .brief-item >> nth=1`);
  await page.waitForFunction((k) => [...document.querySelectorAll('#cards > li.card.is-open')].some((li) => li.dataset.key === k), key, { timeout: 10000 });
  await page.waitForFunction((k) => {
    const li = [...document.querySelectorAll('#cards > li.card')].find((el) => el.dataset.key === k);
    return li && li.querySelector('.card-detail .detail');
  }, key, { timeout: 10000 });
  const focused = await page.evaluate(() => document.activeElement?.dataset?.key);
  s.check(focused === key, `the card of ${key} is open and focused (${focused})`);
});

s.test('three items per section, the rest behind "Show N more"', async () => {
  const sel = '#brief .brief-section[data-kind=reply]';
  const visible = () => page.$$eval(`${sel} .brief-item`, (els) => els.filter((e) => e.offsetParent !== null).length);
  s.check(await visible() === 3 && (await page.textContent(`${sel} .brief-more`)) === 'Show 2 more', 'three shown, "Show 2 more"');
  await page.click(`${sel} .brief-more`);
  s.check(await visible() === 5 && (await page.textContent(`${sel} .brief-more`)) === 'Show fewer', 'all five after a click');
  await page.click(`${sel} .brief-more`);
  s.check(await visible() === 3, 'three again');
});

s.test('folding is remembered across a reload', async () => {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.click('#brief .brief-section[data-kind=gfi] summary');
  await page.click('#brief .brief-toggle');
  s.check(await page.isHidden('#brief-body') && await page.getAttribute('#brief .brief-toggle', 'aria-expanded') === 'false', 'the briefing folds');
  await page.reload();
  await waitBoot();
  await page.waitForSelector('#brief:not([hidden])');
  s.check(await page.isHidden('#brief-body'), 'still folded after a reload');
  await page.click('#brief .brief-toggle');
  const after = await shown();
  s.check(await page.isVisible('#brief-body') && after.sections.find((x) => x.kind === 'gfi')?.open === false &&
    after.sections.find((x) => x.kind === 'reply')?.open === true, 'unfolded; the folded section stays folded, the others open');
  await page.click('#brief .brief-section[data-kind=gfi] summary');
});

s.test("a good-first issue's intro, difficulty and first steps in its detail", async () => {
  const r = await page.evaluate(async () => {
    const { renderDetail } = await import('./ui/detail.js');
    const el = renderDetail({
      key: 'github.com/o/r#1', state: 'open', author: 'someone', url: 'https://github.com/o/r/issues/1', labels: [], body: 'Body.', body_ast: [],
      ai: { intro: 'This issue asks for a <b>small</b> change to the parser. It is a good first step.', difficulty: 3,
        first_steps: ['Read CONTRIBUTING.md', '<script>alert(1)</script> stays text'], model: 'fake-model', at: 1 },
      repo_summary: { summary: 'A parser for a small language, written in C.', model: 'fake-model', at: 1 },
    });
    el.id = 'ai-probe';
    document.querySelector('#main').prepend(el);
    const help = el.querySelector('.ai-help');
    return {
      dots: help.querySelectorAll('.ai-dot.is-on').length, steps: [...help.querySelectorAll('.ai-steps li')].map((x) => x.textContent),
      intro: help.querySelector('.ai-intro').textContent, by: help.querySelector('.ai-by').textContent,
      markup: help.querySelectorAll('b, script').length, label: help.querySelector('.ai-difficulty').getAttribute('aria-label'),
      summary: help.querySelector('.ai-summary')?.textContent,
    };
  });
  s.check(r.dots === 3 && r.label === 'Difficulty 3 of 5', `difficulty 3 of 5 (${r.dots} dots)`);
  s.check(r.steps.length === 2 && r.steps[1].startsWith('<script>'), 'first steps as a list, text only');
  s.check(r.intro.includes('<b>small</b>') && r.markup === 0, 'the intro is text, never markup');
  s.check(r.by === 'Written by fake-model' && /parser/.test(r.summary || ''), 'the repository summary and who wrote it');
  await page.locator('#ai-probe .ai-help').screenshot({ path: `${SHOTS}/ai-help-light.png` });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.locator('#ai-probe .ai-help').screenshot({ path: `${SHOTS}/ai-help-dark.png` });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.evaluate(() => document.querySelector('#ai-probe').remove());
});

s.test('screenshots: phone and desktop, light and dark', async () => {
  for (const [w, hgt, name] of [[390, 844, 'phone'], [1280, 900, 'desktop']]) {
    await page.setViewportSize({ width: w, height: hgt });
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.waitForTimeout(100);
      await page.screenshot({ path: `${SHOTS}/brief-${name}-${scheme}.png` });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
  s.check(!overflow, 'no sideways scrolling at desktop width');
  await page.setViewportSize({ width: 390, height: 844 });
  s.check(!(await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth)), 'no sideways scrolling at phone width');
  s.check(pageErrors.length === 0, `no page errors (${pageErrors.join(' | ')})`);
});

const ok = await s.run();
await env.close();
process.exit(ok ? 0 : 1);
