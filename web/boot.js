// boot.js — starts hub's worker as early as the page can (web/ layer, page side).
//
// tip.html and activity.html load it as an async module script of its own, ahead of their
// larger module graphs: it runs as soon as its two small modules are in, so the worker (wasm
// compile, storage open, or finding the tab that holds the database) starts while the page's
// modules still load, instead of after all of them. tip.js and activity.js import the same
// instance. index.html's bundle (build/web/app.js) runs it first, before the rest of app.js.
import { HubClient } from './hub-client.js';

export let hub = null;
export let bootError = null;
try {
  hub = new HubClient();
} catch (e) {
  bootError = e;
}
