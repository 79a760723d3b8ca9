// activity.test.mjs — the activity page (web/activity.html) as a user meets it, in Debian's
// Chromium against the fake GitHub, without hubd: reached from the inbox, turned on for a login,
// one refresh reads the recorded commits (tests/exchanges/activity), the calendars show a square
// per day of the window with the recorded days coloured, and the repository and language filters
// change which squares are coloured. The recordings are dated for the tests' clock (2025-11-23);
// the page and its sync run on the real clock, so a copy with every timestamp moved by whole days
// to today is served (the core's since= cursor moves the same way). Screenshots go to
// build/out/screens/. Prints "activity: N passed, M failed"; exits 1 on failure.
import { mkdirSync, readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Env, suite } from './harness.mjs';

const SHOTS = process.env.HUB_SCREENS || 'build/out/screens';
mkdirSync(SHOTS, { recursive: true });
const DAY = 86400000;
const RECORDED_TODAY = Date.UTC(2025, 10, 23);
const shift = Math.floor((Date.now() - RECORDED_TODAY) / DAY) * DAY;
const moved = (iso) => new Date(Date.parse(iso) + shift).toISOString().replace('.000Z', 'Z');
const day = (d) => moved(d + 'T12:00:00Z').slice(0, 10);

// The scenario with every timestamp moved by `shift`.
const scen = mkdtempSync(join(tmpdir(), 'hub-activity-'));
for (const f of readdirSync('tests/exchanges/activity')) {
  const text = readFileSync(join('tests/exchanges/activity', f), 'utf8');
  writeFileSync(join(scen, f), text.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/g, moved));
}

// The recorded days (tests/golden/activity.txt) and what the filters leave of them.
const DAYS = { '2024-03-10': 2, '2024-12-24': 1, '2025-06-01': 1, '2025-06-02': 1, '2025-11-10': 1, '2025-11-18': 1, '2025-11-20': 1 };
const HELLO = ['2024-12-24', '2025-06-02', '2025-11-18', '2025-11-20'];
const RUBY = ['2024-03-10', '2024-12-24', '2025-11-10'];

const s = suite('activity');
const env = await Env.start({ scenarios: ['tests/exchanges/demo', scen] });
const ctx = await env.launch({ persistent: true });
const page = ctx.pages()[0] || await ctx.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));

/* {date: count} of the coloured squares. */
async function coloured() {
  return page.$$eval('rect.hm-day', (rs) => Object.fromEntries(rs.filter((r) => r.dataset.count !== '0')
    .map((r) => [r.dataset.date, Number(r.dataset.count)])));
}

async function waitColoured(n) {
  await page.waitForFunction((k) => document.querySelectorAll('rect.hm-day:not(.hm-l0)').length === k, n, { timeout: 20000 });
}

s.test('reached from the inbox, turned on, one refresh draws the recorded days', async () => {
  await page.goto(env.url);
  await page.waitForSelector('#boot', { state: 'hidden', timeout: 20000 });
  await page.click('#open-activity');
  await page.waitForURL(/activity\.html/);
  await page.waitForSelector('#off:not([hidden])', { timeout: 20000 });
  s.check(await page.isHidden('#on'), 'with the setting off, no calendar and an offer to turn it on');
  await page.fill('#login', 'octocat');
  await page.click('#turn-on');
  await page.waitForSelector('#on:not([hidden])', { timeout: 30000 });
  await waitColoured(7);
  const want = Object.fromEntries(Object.entries(DAYS).map(([d, n]) => [day(d), n]));
  const got = await coloured();
  s.check(JSON.stringify(got, Object.keys(got).sort()) === JSON.stringify(want, Object.keys(want).sort()),
    `the 7 recorded days are coloured with their counts: ${JSON.stringify(got)}`);
  s.check(await page.$$eval('svg.hm', (els) => els.length) === 2, 'two calendars of 53 weeks');
  s.check(await page.$$eval('rect.hm-day', (els) => els.length) === 731, 'a square for each of the window\'s 731 days');
  s.check(await page.$$eval('svg.hm text.hm-month', (els) => els.length) >= 20, 'month labels over the columns');
  const busiest = await page.$eval(`rect.hm-day[data-date="${day('2024-03-10')}"]`, (r) => [r.getAttribute('class'), r.querySelector('title').textContent]);
  s.check(busiest[0].includes('hm-l4') && /2 commits on .* — octocat\/linguist · Makefile, Ruby, TypeScript$/.test(busiest[1]),
    `the busiest day has the top colour and says what was touched: ${busiest.join(' | ')}`);
  const summary = await page.textContent('#summary');
  s.check(/^8 commits on 7 days/.test(summary), `summary: ${summary}`);
  s.check(await page.$$eval('#repo option', (os) => os.length) === 5 && await page.$$eval('#language option', (os) => os.length) === 9,
    'the filters offer the 4 repositories and 8 languages');
  await page.screenshot({ path: join(SHOTS, 'activity.png'), fullPage: true });
});

s.test('the repository filter', async () => {
  await page.selectOption('#repo', 'octocat/Hello-World');
  await waitColoured(HELLO.length);
  const got = Object.keys(await coloured()).sort();
  s.check(JSON.stringify(got) === JSON.stringify(HELLO.map(day).sort()), `Hello-World's 4 days only: ${got}`);
  s.check(/^4 commits on 4 days .* octocat\/Hello-World/.test(await page.textContent('#summary')), 'the summary names the filter');
  await page.selectOption('#repo', '');
  await waitColoured(7);
});

s.test('the language filter, from the select and from a chip', async () => {
  await page.selectOption('#language', 'Ruby');
  await waitColoured(RUBY.length);
  const got = Object.keys(await coloured()).sort();
  s.check(JSON.stringify(got) === JSON.stringify(RUBY.map(day).sort()), `the 3 Ruby days: ${got}`);
  await page.screenshot({ path: join(SHOTS, 'activity-ruby.png'), fullPage: true });
  await page.click('.act-chip-on');  /* the Ruby chip again: the filter goes */
  await waitColoured(7);
  s.check(await page.inputValue('#language') === '', 'a second click on the chip clears the filter');
  await page.click('.act-chip:has-text("Python")');
  await waitColoured(1);
  s.check(Object.keys(await coloured())[0] === day('2025-11-18'), 'the Python chip leaves the day of tools/gen.py');
});

s.test('no page errors', async () => {
  s.check(pageErrors.length === 0, `page errors: ${pageErrors.join('; ')}`);
});

const ok = await s.run();
await env.close();
rmSync(scen, { recursive: true, force: true });
process.exit(ok ? 0 : 1);
