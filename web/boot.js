// boot.js — starts hub's worker as early as the page can (web/ layer, page side).
//
// index.html and tip.html load it as an async module script of its own, ahead of their larger
// module graphs: it runs as soon as its two small modules are in, so the worker (wasm compile,
// storage open, or finding the tab that holds the database) starts while the page's modules
// still load, instead of after all of them. app.js and tip.js import the same instance.
import { HubClient } from './hub-client.js';

export let hub = null;
export let bootError = null;
try {
  hub = new HubClient();
} catch (e) {
  bootError = e;
}
