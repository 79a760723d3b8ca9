// worker.js — each tab's dedicated module Worker; one of them owns hub's database.
//
// Tabs share one database: the first tab's worker takes the Web Lock "hub-db" and owns it
// (owner.js: the wasm core, OPFS or IndexedDB, syncs); every other tab's worker relays its page's
// messages to the owner over the BroadcastChannel "hub-bus-1" and waits in the lock's queue. When
// the owner's tab closes its lock goes with it, the next waiting worker opens the storage and
// takes over, and the others follow the new owner. No tab ever opens a second copy.
//
// The page's protocol (web/hub-client.js) is the same in both roles:
//   page → worker  {id, type:'call', req} | {id, type:'sync'} | {type:'abort'}
//   worker → page  {type:'ready', version, storage, defaults, meta, role}  once
//                  {id, type:'reply', ok, res | error}, {id, type:'progress', progress}
//                  {type:'changed', cmd}       another tab (or a sync) changed the data
//                  {type:'storage', storage}   this tab's role changed (took over, or a new owner)
//                  {type:'snapshot', snap}     the owner's first-paint snapshot, for the page to keep
//                  {type:'fatal', error}
// Bus messages (t): hello {from} — who owns?; owner {info} — I do (answer, and on taking over);
// req {to, from, msg}, ack {to, id} and res {to, msg} — a relayed message, its receipt and its
// answers; changed {origin, cmd}. A relayed request the owner never answered because its tab
// closed is sent again to the new owner if the old one never received it or it only reads, and
// answered with the error "owner_gone" if it may have written.
import { Owner, writes } from './owner.js';
// owner.js's own imports, named here too so they load beside it, not one level after
import './hub.mjs';
import './storage.js';
import './vault.js';

const VERSION = '__HUB_VERSION__';
const LOCK = 'hub-db';
const BUS = 'hub-bus-1';
const HELLO_MS = 250;

const me = self.crypto && typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `w${Math.random()}`.slice(2);
const bus = typeof BroadcastChannel === 'function' ? new BroadcastChannel(BUS) : null;
const forever = new Promise(() => {});

let role = null;          // null while electing, then 'relay' or 'owner'
let owner = null;         // the Owner, in the owner role
let ownerReady = null;    // Promise of the owner's info
let ownerInfo = null;     // the owner's info once started (announced on the bus)
let heard = null;         // the latest owner announcement heard: {id, version, storage, defaults, meta}
let readySent = false;
const waiting = [];       // page messages before anyone can answer them
const inflight = new Map(); // id → {msg, acked}: relayed to heard.id, not answered yet

const toPage = (m) => self.postMessage(m);

// ---- the page's messages ---------------------------------------------------------------------

self.onmessage = (ev) => fromPage(ev.data);

function fromPage(msg) {
  if (!msg || typeof msg !== 'object') return;
  if (role === 'owner') { runHere(msg, me, toPage); return; }
  if (role === 'relay' && heard) { relay(msg); return; }
  waiting.push(msg);
}

function runHere(msg, from, send) {
  if (msg.type === 'abort') { owner.abort(); return; }
  ownerReady.then(() => owner.handle(msg, from, send), (e) => {
    if (msg.id !== undefined) send({ type: 'reply', id: msg.id, ok: false, error: errorOf(e) });
  });
}

function relay(msg) {
  if (msg.type !== 'abort') inflight.set(msg.id, { msg, acked: false });
  bus.postMessage({ t: 'req', to: heard.id, from: me, msg });
}

function flushWaiting() {
  for (const msg of waiting.splice(0)) fromPage(msg);
}

// Messages relayed to an owner that went away: what it never received, and reads, go again (to
// route()); writes it received may have happened, so they fail.
function redoInflight(route) {
  const lost = [...inflight.values()];
  inflight.clear();
  const meta = heard?.meta || ownerInfo?.meta;
  for (const { msg, acked } of lost) {
    if (!acked || (msg.type === 'call' && meta && !writes(meta, msg.req))) route(msg);
    else toPage({ type: 'reply', id: msg.id, ok: false, error: { code: 'owner_gone', message: 'the tab that held the database closed before answering; try again' } });
  }
}

// ---- the bus ---------------------------------------------------------------------------------

if (bus) bus.onmessage = (ev) => {
  const m = ev.data;
  if (!m || typeof m !== 'object') return;
  switch (m.t) {
    case 'hello':
      if (role === 'owner' && ownerInfo) announce();
      break;
    case 'owner':
      if (m.info && typeof m.info.id === 'string' && m.info.id !== me) onOwner(m.info);
      break;
    case 'req':
      if (role === 'owner' && m.to === me && m.msg) {
        if (m.msg.id !== undefined) bus.postMessage({ t: 'ack', to: m.from, id: m.msg.id });
        runHere(m.msg, m.from, (r) => bus.postMessage({ t: 'res', to: m.from, msg: r }));
      }
      break;
    case 'ack':
      if (m.to === me && inflight.has(m.id)) inflight.get(m.id).acked = true;
      break;
    case 'res':
      if (m.to === me && m.msg) {
        if (m.msg.type === 'reply') inflight.delete(m.msg.id);
        toPage(m.msg);
      }
      break;
    case 'changed':
      if (m.origin !== me) toPage({ type: 'changed', cmd: m.cmd });
      break;
    default:
  }
};

function announce() {
  bus?.postMessage({ t: 'owner', info: { id: me, ...ownerInfo } });
}

function onOwner(info) {
  if (role === 'owner') return;
  const prev = heard;
  heard = info;
  if (role !== 'relay') return;          // still electing: remembered
  if (!readySent) sendReady(info, relayStorage(info), 'relay');
  else if (prev && prev.id !== info.id) {
    toPage({ type: 'storage', storage: relayStorage(info), role: 'relay' });
    redoInflight(relay);
  }
  flushWaiting();
}

function relayStorage(info) {
  const mode = info.storage?.mode || 'unknown';
  return {
    mode: 'relay', owner_mode: mode,
    note: `Shared: another hub tab holds the database and this tab uses it through that tab, so both show the same data. ${String(info.storage?.note || '')}`.trim(),
  };
}

function sendReady(info, storage, r) {
  readySent = true;
  toPage({ type: 'ready', version: info.version, storage, defaults: info.defaults, meta: info.meta, role: r, timing: info.timing });
}

// ---- roles -----------------------------------------------------------------------------------

function becomeOwner(takeover) {
  role = 'owner';
  owner = new Owner({
    version: VERSION,
    changed: (from, cmd) => {
      bus?.postMessage({ t: 'changed', origin: from, cmd });
      if (from !== me) toPage({ type: 'changed', cmd });
    },
    snapshot: (snap) => toPage({ type: 'snapshot', snap }),
  });
  ownerReady = owner.start({ lockWaitMs: takeover ? 5000 : 3000 });
  ownerReady.then((info) => {
    ownerInfo = info;
    if (!readySent) sendReady(info, info.storage, 'owner');
    else toPage({ type: 'storage', storage: info.storage, role: 'owner' });
    announce();
  }, (e) => toPage({ type: 'fatal', error: errorOf(e) }));
  redoInflight((msg) => runHere(msg, me, toPage));
  flushWaiting();
}

function becomeRelay() {
  role = 'relay';
  if (heard) onOwner(heard);
  let tries = 0;
  const hello = () => {
    if (role !== 'relay' || readySent) return;
    bus.postMessage({ t: 'hello', from: me });
    setTimeout(hello, ++tries < 40 ? HELLO_MS : 1000);
  };
  hello();
}

// The first worker to ask gets the lock and keeps it until its tab goes; the others relay and
// queue for it. Without Web Locks or BroadcastChannel each tab opens storage itself, as before
// (storage.js then keeps a second tab off the OPFS files).
async function elect() {
  const locks = self.navigator && self.navigator.locks;
  if (!bus || !locks) { becomeOwner(false); return; }
  const got = await new Promise((resolve) => {
    locks.request(LOCK, { ifAvailable: true }, (lock) => {
      resolve(lock ? 'owner' : 'relay');
      return lock ? forever : null;
    }).catch(() => resolve('nolock'));
  });
  if (got !== 'relay') { becomeOwner(false); return; }
  becomeRelay();
  locks.request(LOCK, () => {
    becomeOwner(true);
    return forever;
  }).catch((e) => console.warn('hub: lock request failed', e));
}

function errorOf(e) {
  return { code: e?.code || 'start', message: e?.message || String(e) };
}

elect();
