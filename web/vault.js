// vault.js — the page's GitHub token at rest, encrypted (web/ layer; used by owner.js in the
// worker that owns the database).
//
// An AES-GCM 256 CryptoKey made once with extractable = false and kept in IndexedDB (a CryptoKey
// is structured-cloneable and stays non-extractable there: the page can use it, never read its
// bytes); each secret is kept beside it as {iv, ct}: a fresh random 12-byte IV per write and
// the ciphertext with its tag. Nothing is in clear at rest: not in the SQLite database (OPFS or
// IndexedDB files), not in localStorage. Someone who copies the profile's files gets a key the
// browser will only use inside this origin, not a token.
//
//   const v = await openVault();   → a Vault, or {ok:false, why} where the browser cannot
//                                     (no crypto.subtle outside a secure context, no IndexedDB)
//   await v.get(name) → string | null     await v.has(name) → bool
//   await v.put(name, value)              await v.delete(name)
// get() throws (code "vault") when a record no longer opens (its key was cleared with the
// site's data while the record survived, or it was altered).
const DB_NAME = 'hub-vault';
const STORE = 'secrets';
const KEY_ID = '.key';     // the CryptoKey's record; secrets are kept under their names
const IV_BYTES = 12;

const req2p = (r) => new Promise((resolve, reject) => {
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
});

// Resolves once a write transaction has committed (a request's success comes before that).
function written(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error || new Error('IndexedDB write aborted'));
  });
}

function fail(message) { return Object.assign(new Error(message), { code: 'vault' }); }

// Why this browser cannot keep a secret encrypted here, or '' when it can.
export function vaultUnavailable() {
  if (typeof indexedDB !== 'object' || !indexedDB) return 'this browser gives the page no IndexedDB';
  if (!self.isSecureContext || !self.crypto?.subtle) return 'the page is not on a secure origin (https://, or http:// on localhost), so the browser offers no WebCrypto';
  return '';
}

export async function openVault() {
  const why = vaultUnavailable();
  if (why) return { ok: false, why };
  try {
    const db = await openDb();
    const key = await theKey(db);
    return new Vault(db, key);
  } catch (e) {
    return { ok: false, why: `the browser refused the encrypted store (${e?.message || e})` };
  }
}

function openDb() {
  const r = indexedDB.open(DB_NAME, 1);
  r.onupgradeneeded = () => r.result.createObjectStore(STORE);
  return req2p(r);
}

// The kept CryptoKey, made (non-extractable) on first use. Only one worker owns the database at
// a time, but add() (not put()) keeps a race from replacing a key that already encrypted.
async function theKey(db) {
  const kept = await req2p(db.transaction(STORE).objectStore(STORE).get(KEY_ID));
  if (kept instanceof CryptoKey) return kept;
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  try {
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).add(key, KEY_ID);
    await written(tx);
    return key;
  } catch (e) {
    const again = await req2p(db.transaction(STORE).objectStore(STORE).get(KEY_ID));
    if (again instanceof CryptoKey) return again;
    throw e;
  }
}

export class Vault {
  constructor(db, key) {
    this.ok = true;
    this.db = db;
    this.key = key;
  }

  async has(name) {
    const rec = await req2p(this.db.transaction(STORE).objectStore(STORE).get(name));
    return !!(rec && rec.ct);
  }

  async get(name) {
    const rec = await req2p(this.db.transaction(STORE).objectStore(STORE).get(name));
    if (!rec || !rec.ct) return null;
    try {
      const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: rec.iv }, this.key, rec.ct);
      return new TextDecoder().decode(pt);
    } catch (e) {
      throw fail('the stored GitHub token cannot be decrypted any more (the browser lost its key): set it again in Settings');
    }
  }

  async put(name, value) {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, this.key, new TextEncoder().encode(value));
    const tx = this.db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put({ iv, ct: new Uint8Array(ct) }, name);
    await written(tx);
  }

  async delete(name) {
    const tx = this.db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).delete(name);
    await written(tx);
  }
}
