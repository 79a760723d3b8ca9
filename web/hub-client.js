// hub-client.js — the page's side of the worker protocol. The page never touches the
// database or the network for data: it sends JSON commands to web/worker.js, which owns
// the wasm core, and gets JSON back.
//
//   const hub = new HubClient();
//   await hub.ready            → {storage:{mode,note}, version, defaults:{github_api, demo}, meta}
//   await hub.call({cmd:'cards', now: Date.now()})   rejects with Error(message) (.code)
//   await hub.sync(p => …)     → the run's statistics; p = {requests, planned, new, updated, waiting_until}

export class HubClient {
  constructor(url = './worker.js') {
    this.worker = new Worker(new URL(url, import.meta.url), { type: 'module' });
    this.seq = 0;
    this.pending = new Map();
    this.onerror = null;
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
    if (msg.type === 'ready') return this._ready(msg);
    if (msg.type === 'fatal') {
      const err = Object.assign(new Error(msg.error.message), { code: msg.error.code });
      this._readyFail(err);
      if (this.onerror) this.onerror(err);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') {
      if (p.onProgress) p.onProgress(msg.progress);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.res);
    else p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code, field: msg.error.field }));
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
}
