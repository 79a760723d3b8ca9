// vault.test.mjs — the GitHub token at rest in the browser (web/vault.js, web/owner.js), in
// Debian's Chromium against the fake GitHub:
//   config    make run's config.json token goes to the vault, not to the core's settings
//   save      a token saved in Settings is in no settings row; a Refresh sends it to the fake
//             GitHub as "Authorization: Bearer …"; the dialog says it is kept encrypted
//   at rest   with the owner gone, the OPFS database and journal bytes and localStorage hold
//             neither token; IndexedDB holds {iv (12 bytes), ct} whose bytes are not the token
//             and decrypt to it; crypto.subtle.exportKey on the kept key rejects
//   reload    after a reload a Refresh still sends the token
//   forget    "Forget token" removes the record; a Refresh then sends no Authorization
//   fallback  with vault.js answering "unavailable" (as off a secure origin) the dialog says
//   migrate   plainly the token is kept unencrypted and the core keeps it (a Refresh sends it);
//             the next start with the real vault.js moves it into the vault and clears the row;
//             purge empties the vault too
// Requests are watched with the service worker blocked (the context then sees the worker's
// fetches). Prints "vault: N passed, M failed"; exits 1 on failure. Screenshots go to
// build/out/screens/.
import { mkdirSync } from 'node:fs';
import { Env, suite } from './harness.mjs';

const SHOTS = process.env.HUB_SCREENS || 'build/out/screens';
mkdirSync(SHOTS, { recursive: true });

const s = suite('vault');
const env = await Env.start({ scenarios: ['tests/exchanges/demo'] });  // config.json: demo-token
const TOKEN = 'ghp_vaultTest' + Math.random().toString(36).slice(2, 12) + 'Zq9';
const OTHER = 'github_pat_oldDb' + Math.random().toString(36).slice(2, 12);
const pageErrors = [];

async function open(ctx) {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(env.url);
  await page.waitForSelector('#boot', { state: 'hidden', timeout: 20000 });
  await page.waitForSelector('#cards:not([aria-busy])', { state: 'attached', timeout: 20000 });
  return page;
}
async function refresh(page) {
  await page.click('#refresh');
  await page.waitForFunction(() => document.querySelector('#refresh').getAttribute('aria-busy') === null &&
    !document.querySelector('#refresh').disabled, null, { timeout: 30000 });
}
// One command through the page's worker protocol.
function call(page, req) {
  return page.evaluate(async (r) => {
    const { HubClient } = await import('./hub-client.js');
    globalThis.__vaultClient ||= new HubClient();
    await globalThis.__vaultClient.ready;
    return globalThis.__vaultClient.call(r);
  }, req);
}
const tokenRows = async (page) =>
  (await call(page, { cmd: 'sql', sql: "SELECT v FROM settings WHERE k = 'github_token'" })).rows;
// The Authorization headers of the requests to the fake GitHub made while fn runs.
async function authsDuring(ctx, fn) {
  const seen = [];
  const on = (r) => { if (r.url().startsWith(env.api) && r.method() !== 'OPTIONS') seen.push(r.headers().authorization || null); };
  ctx.on('request', on);
  try { await fn(); } finally { ctx.off('request', on); }
  return seen;
}
// What is at rest, read from a page of the same origin that starts no worker (the owner's
// OPFS access handles are closed then): the database files, localStorage, the vault's records
// and what the kept key can and cannot do.
async function atRest(ctx) {
  const page = await ctx.newPage();
  await page.goto(env.url + 'manifest.webmanifest');
  const out = await page.evaluate(async () => {
    const res = { files: {}, local: '', records: {} };
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('hub');
    for await (const [name, fh] of dir.entries()) {
      const b = new Uint8Array(await (await fh.getFile()).arrayBuffer());
      res.files[name] = Array.from(b, (c) => String.fromCharCode(c)).join('');
    }
    for (let i = 0; i < localStorage.length; i++) res.local += localStorage.key(i) + '=' + localStorage.getItem(localStorage.key(i)) + '\n';
    const db = await new Promise((ok, ko) => { const r = indexedDB.open('hub-vault'); r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
    const get = (k) => new Promise((ok, ko) => { const r = db.transaction('secrets').objectStore('secrets').get(k); r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
    const key = await get('.key');
    const rec = await get('github_token');
    res.key = { isKey: key instanceof CryptoKey, extractable: key?.extractable, alg: key?.algorithm?.name, length: key?.algorithm?.length };
    res.exportRejects = await crypto.subtle.exportKey('raw', key).then(() => false, () => true);
    res.jwkRejects = await crypto.subtle.exportKey('jwk', key).then(() => false, () => true);
    if (rec) {
      res.rec = { iv: rec.iv.length, ct: Array.from(new Uint8Array(rec.ct), (c) => String.fromCharCode(c)).join('') };
      res.plain = new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: rec.iv }, key, rec.ct));
    }
    db.close();
    return res;
  });
  await page.close();
  return out;
}

const ctx = await Env.prototype.launch.call(env, { persistent: true, serviceWorkers: 'block' });
let page;

s.test('config: make run\'s config.json token goes to the vault, not the core\'s settings', async () => {
  page = await open(ctx);
  const st = (await call(page, { cmd: 'settings' })).settings;
  s.check(st.github_token_set === true && st.github_token_store === 'vault', `the settings answer says a token is set, in the vault (${st.github_token_set}, ${st.github_token_store})`);
  s.check((await tokenRows(page)).length === 0, 'no github_token row in the core\'s settings table');
  const auths = await authsDuring(ctx, () => refresh(page));
  s.check(auths.length > 0 && auths.every((a) => a === 'Bearer demo-token'), `a Refresh sends the config token (${auths.length} requests)`);
});

s.test('save: a token saved in Settings goes to the vault and is sent to GitHub', async () => {
  await page.click('#open-settings');
  s.check(/encrypted/.test(await page.textContent('#settings [data-token-store]')), 'the dialog says the token is kept encrypted');
  await page.fill('#settings [name=github_token]', TOKEN);
  await page.click('#settings [data-save]');
  await page.waitForSelector('#settings', { state: 'hidden' });
  s.check((await tokenRows(page)).length === 0, 'still no github_token row after saving');
  const all = await call(page, { cmd: 'sql', sql: 'SELECT k, v FROM settings' });
  s.check(!JSON.stringify(all.rows).includes(TOKEN), 'no settings value holds the token');
  const auths = await authsDuring(ctx, () => refresh(page));
  s.check(auths.length > 0 && auths.every((a) => a === `Bearer ${TOKEN}`), `a Refresh sends "Authorization: Bearer <the token>" on every request (${auths.length}: ${[...new Set(auths)].map((a) => String(a).slice(0, 20))})`);
  await page.click('#open-settings');
  s.check((await page.textContent('#settings [data-token-state]')).trim() === 'A token is set', 'the dialog says a token is set');
  await page.screenshot({ path: `${SHOTS}/vault-settings.png` });
  await page.click('#settings [data-cancel]');
});

s.test('at rest: no token in the database files or localStorage; IndexedDB holds ciphertext; the key does not export', async () => {
  await page.close();
  const r = await atRest(ctx);
  const names = Object.keys(r.files);
  s.check(names.includes('hub.db') && r.files['hub.db'].length > 4096, `the OPFS database was read (${names.map((n) => `${n} ${r.files[n].length} B`).join(', ')})`);
  s.check(names.every((n) => !r.files[n].includes(TOKEN) && !r.files[n].includes('demo-token')), 'no OPFS file holds either token');
  s.check(!r.local.includes(TOKEN) && !r.local.includes('demo-token'), 'localStorage holds neither token');
  s.check(r.key.isKey && r.key.extractable === false && r.key.alg === 'AES-GCM' && r.key.length === 256, `IndexedDB keeps a non-extractable AES-GCM 256 CryptoKey (${JSON.stringify(r.key)})`);
  s.check(r.exportRejects && r.jwkRejects, 'crypto.subtle.exportKey (raw and jwk) rejects on it');
  s.check(r.rec && r.rec.iv === 12 && r.rec.ct.length === TOKEN.length + 16 && !r.rec.ct.includes(TOKEN), `the record is {iv: 12 bytes, ct: ${r.rec?.ct.length} bytes} and ct is not the token`);
  s.check(r.plain === TOKEN, 'the kept key decrypts the record to the token');
});

s.test('reload: after a new start the token still works', async () => {
  page = await open(ctx);
  const auths = await authsDuring(ctx, () => refresh(page));
  s.check(auths.length > 0 && auths.every((a) => a === `Bearer ${TOKEN}`), `a Refresh after the reload sends the token (${auths.length} requests)`);
  s.check(/Updated just now/.test(await page.textContent('#run-summary')), 'the refresh succeeded');
});

s.test('forget: "Forget token" removes it; a Refresh sends no Authorization', async () => {
  await page.click('#open-settings');
  await page.click('#settings [data-forget-token]');
  await page.waitForFunction(() => document.querySelector('#settings [data-token-state]').textContent.trim() === 'No token set', null, { timeout: 5000 });
  s.check(true, 'the dialog says no token is set');
  await page.click('#settings [data-cancel]');
  s.check((await call(page, { cmd: 'settings' })).settings.github_token_set === false, 'the settings answer says no token');
  const auths = await authsDuring(ctx, () => refresh(page));
  s.check(auths.every((a) => a === null), `no request carries Authorization (${auths.length} requests)`);
  await page.close();
  const r = await atRest(ctx);
  s.check(!r.rec && r.key.isKey, 'the vault has no token record (the key stays)');
});

s.test('fallback, then migrate: without WebCrypto the core keeps the token, said plainly; the next start moves it into the vault', async () => {
  const ctx2 = await Env.prototype.launch.call(env, { persistent: true, serviceWorkers: 'block' });
  const stub = "export function vaultUnavailable() { return 'test: no WebCrypto here'; }\n" +
    "export async function openVault() { return { ok: false, why: 'test: no WebCrypto here' }; }\n";
  await ctx2.route('**/vault.js', (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: stub }));
  let p = await open(ctx2);
  let st = (await call(p, { cmd: 'settings' })).settings;
  s.check(st.github_token_store === 'database' && st.github_token_store_why === 'test: no WebCrypto here', `the settings answer says where and why (${st.github_token_store})`);
  await p.click('#open-settings');
  const note = await p.textContent('#settings [data-token-store]');
  s.check(/Not encrypted: test: no WebCrypto here/.test(note) && /in clear in hub's database/.test(note), `the dialog says so plainly: "${note}"`);
  await p.fill('#settings [name=github_token]', OTHER);
  await p.click('#settings [data-save]');
  await p.waitForSelector('#settings', { state: 'hidden' });
  const rows = await tokenRows(p);
  s.check(rows.length === 1 && rows[0][0] === OTHER, 'the core\'s settings hold the token (the old path)');
  let auths = await authsDuring(ctx2, () => refresh(p));
  s.check(auths.length > 0 && auths.every((a) => a === `Bearer ${OTHER}`), `a Refresh sends it (${auths.length} requests)`);
  await p.click('#open-settings');
  await p.screenshot({ path: `${SHOTS}/vault-fallback.png` });
  await p.close();
  await ctx2.unroute('**/vault.js');
  p = await open(ctx2);
  s.check((await tokenRows(p)).length === 0, 'the next start cleared the core\'s github_token row');
  st = (await call(p, { cmd: 'settings' })).settings;
  s.check(st.github_token_set === true && st.github_token_store === 'vault', 'a token is set, in the vault');
  auths = await authsDuring(ctx2, () => refresh(p));
  s.check(auths.length > 0 && auths.every((a) => a === `Bearer ${OTHER}`), `a Refresh sends the migrated token (${auths.length} requests)`);
  await p.close();
  const r = await atRest(ctx2);
  s.check(r.plain === OTHER && !r.rec.ct.includes(OTHER), 'the vault record decrypts to the migrated token');
  const left = Object.keys(r.files).filter((n) => r.files[n].includes(OTHER));
  console.log(`note: OPFS files still holding the migrated token's old bytes: ${left.join(', ') || 'none'}`);
  p = await open(ctx2);
  await call(p, { cmd: 'purge', confirm: true });
  s.check((await call(p, { cmd: 'settings' })).settings.github_token_set === false, 'purge ("everything, the token too") empties the vault as well');
  await p.close();
  s.check(!(await atRest(ctx2)).rec, 'no token record is left after purge');
});

let ok = false;
try {
  ok = await s.run();
  if (pageErrors.length) { console.log('FAIL page errors:', pageErrors.slice(0, 5)); ok = false; }
} finally {
  await env.close();
}
process.exit(ok ? 0 : 1);
