// hub-client.js — the page's side of the worker protocol. The page never touches the
// database or the network for data: it sends JSON commands to web/worker.js, which either owns
// the wasm core or relays to the tab that does (one database across tabs), and gets JSON back.
//
//   const hub = new HubClient();
//   await hub.ready            → {storage:{mode,note}, version, defaults:{github_api, demo}, meta, role}
//   await hub.call({cmd:'cards', now: Date.now()})   rejects with Error(message) (.code, .field, .position)
//   await hub.sync(p => …)     → the run's statistics; p = {requests, planned, new, updated, waiting_until, wait}
//   hub.abort()                stops the running sync (its promise resolves with the aborted run)
//   hub.onchanged = (cmd) => … another tab, or a sync, changed the data: re-read what is shown
//   hub.onstorage = (storage) => … this tab took the database over (or follows a new owner)
// Snapshots the owner worker makes are kept for the next page start (snapshot.js).
import { writeSnapshot } from './snapshot.js';

export class HubClient {
  constructor(url = './worker.js') {
    this.worker = new Worker(new URL(url, import.meta.url), { type: 'module' });
    this.seq = 0;
    this.pending = new Map();
    this.onerror = null;
    this.onchanged = null;
    this.onstorage = null;
    this.ready = new Promise((resolve, reject) => {
      this._ready = resolve;
      this._readyFail = reject;
    });
    this.worker.onmessage = (ev) => this._receive(ev.data);
    this.worker.onerror = (ev) => {
      const err = new Error(ev.message || 'the hub worker failed to start');
      this._readyFail(err);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      if (this.onerror) this.onerror(err);
    };
  }

  _receive(msg) {
    if (!msg || typeof msg !== 'object') return;
    switch (msg.type) {
      case 'ready': this._ready(msg); return;
      case 'fatal': {
        const err = Object.assign(new Error(msg.error.message), { code: msg.error.code });
        this._readyFail(err);
        if (this.onerror) this.onerror(err);
        return;
      }
      case 'changed': if (this.onchanged) this.onchanged(msg.cmd); return;
      case 'storage': if (this.onstorage) this.onstorage(msg.storage, msg.role); return;
      case 'snapshot': writeSnapshot(msg.snap); return;
      default:
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') {
      if (p.onProgress) p.onProgress(msg.progress);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.res);
    else p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code, field: msg.error.field, position: msg.error.position }));
  }

  _send(body, onProgress) {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, ...body });
    });
  }

  call(req) {
    return this._send({ type: 'call', req });
  }

  sync(onProgress) {
    return this._send({ type: 'sync' }, onProgress);
  }

  abort() {
    this.worker.postMessage({ type: 'abort' });
  }
}
