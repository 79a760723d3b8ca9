// worker.mjs — test worker for tests/browser/storage.test.mjs: loads hub.mjs, opens the
// database through web/storage.js and runs commands the page sends.
import createHub from '/build/wasm/hub.mjs';
import { openStorage } from '/web/storage.js';

let M = null;
let st = null;
let h = 0;

function withStr(s, fn) {
  const n = M.lengthBytesUTF8(s) + 1;
  const p = M._malloc(n);
  try {
    M.stringToUTF8(s, p, n);
    return fn(p, n - 1);
  } finally {
    M._free(p);
  }
}

function call(req) {
  const s = typeof req === 'string' ? req : JSON.stringify(req);
  const out = withStr(s, (p, n) => M._hub_wasm_call(h, p, n));
  try {
    return JSON.parse(M.UTF8ToString(out));
  } finally {
    M._hub_free(out);
  }
}

async function open({ name, opfs = true, lockWaitMs }) {
  const t0 = performance.now();
  M = await createHub();
  st = await openStorage(M, { name, opfs, lockWaitMs });
  const t1 = performance.now();
  const j = st.mode === 'opfs' ? M.opfs.files[`${name}-journal`] : null;
  // > 0: a crash left a hot journal to roll back (the VFS keeps the journal between
  // transactions with a zeroed header, so a journal is hot when its first bytes are not zero)
  const head = new Uint8Array(8);
  const journalBytes = j && j.read(head, { at: 0 }) > 0 && head.some((b) => b) ? j.getSize() : 0;
  h = withStr(st.path, (pp) => withStr(st.vfs || '', (vp) => M._hub_wasm_open(pp, vp)));
  if (!h) throw new Error(`hub_wasm_open: ${M.UTF8ToString(M._hub_wasm_error())}`);
  return { mode: st.mode, path: st.path, vfs: st.vfs, note: st.note, journalBytes, storageMs: t1 - t0, openMs: performance.now() - t1 };
}

function integrity() {
  return withStr(st.path, (pp) => withStr(st.vfs || '', (vp) => M.UTF8ToString(M._hub_wasm_integrity_check(pp, vp))));
}

async function write(req) {
  const r = call(req);
  await st.persist();
  return r;
}

// Writes batches until terminated; acks each one that returned without error. With
// yieldEvery 0 it never returns to the event loop, so terminate() cannot stop it gracefully
// between tasks: Chromium stops the script forcibly (about 2 s later) at whatever
// instruction it has reached, which is how the kills land inside transactions.
async function loop({ run, yieldEvery = 0 }) {
  await open({ name: 'kill.db' });
  const weights = {};
  // acks also go out on a BroadcastChannel: the page stops hearing postMessage as soon as
  // it calls terminate(), while the worker runs on until Chromium stops it
  const bc = new BroadcastChannel(`acks-${run}`);
  for (let n = 0; ; n++) {
    weights[`b${n}`] = 1;
    const r = call({ cmd: 'settings', set: { github_user: `${run}-${n}`, label_weights: weights } });
    if (r.error) throw new Error(JSON.stringify(r.error));
    postMessage({ ack: n });
    bc.postMessage(n);
    if (yieldEvery && n % yieldEvery === yieldEvery - 1) await new Promise((res) => setTimeout(res, 0));
  }
}

// n one-setting commits: their times, the VFS's calls per commit (Module.opfs.stats), each
// commit's ms in flushes and writes, and how many flushes were still owed once the worker's
// task had ended (wasm/opfs_lib.js does a commit's last flush then)
async function bench({ n }) {
  const times = [];
  const counts = () => ({ ...(M.opfs && M.opfs.stats) });
  const before = counts();
  const split = [];
  for (let i = 0; i < n; i++) {
    const s0 = counts();
    const t0 = performance.now();
    const r = call({ cmd: 'settings', set: { github_user: `bench-${i}` } });
    times.push(performance.now() - t0);
    const s1 = counts();
    split.push({ flush: (s1.flushes_ms || 0) - (s0.flushes_ms || 0), write: (s1.writes_ms || 0) - (s0.writes_ms || 0) });
    if (r.error) throw new Error(JSON.stringify(r.error));
  }
  const after = counts();
  const per = {};
  for (const k of Object.keys(after)) per[k] = (after[k] - (before[k] || 0)) / n;
  const owed = () => (M.opfs.pending || []).filter(Boolean).length;
  const owedAtEnd = owed();
  await new Promise((r) => setTimeout(r, 0));
  return { times, per, split, owedAtEnd, owedAfter: owed() };
}

async function close() {
  if (h) M._hub_close(h);
  h = 0;
  if (st) await st.close();
  st = null;
}

const ops = { open, call: ({ req }) => call(req), write: ({ req }) => write(req), integrity, loop, bench, close };

onmessage = async (e) => {
  const { op, seq } = e.data;
  try {
    const result = await ops[op](e.data);
    postMessage({ seq, ok: true, result });
  } catch (err) {
    postMessage({ seq, ok: false, error: String((err && err.stack) || err) });
  }
};
