/*
 * ui/update.js — registers the service worker and offers a new version politely.
 *
 * A new worker that finished installing waits (sw.js never skips waiting by itself).
 * The banner asks; only a click sends {type:'skip-waiting'} to that waiting worker, and
 * only then does the page reload, on controllerchange. The first install (no
 * controller yet) shows nothing.
 */

/* banner: the hidden banner element; button: its "Reload" button. */
export async function registerServiceWorker(banner, button) {
  if (!('serviceWorker' in navigator)) return null;
  let asked = false;
  let waiting = null;

  const offer = (worker) => {
    if (!worker || !navigator.serviceWorker.controller) return; /* first install: nothing to replace */
    waiting = worker;
    banner.hidden = false;
  };

  button.addEventListener('click', () => {
    if (!waiting) return;
    asked = true;
    button.disabled = true;
    waiting.postMessage({ type: 'skip-waiting' });
  });

  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (asked) { asked = false; window.location.reload(); }
  });

  let reg;
  try {
    reg = await navigator.serviceWorker.register('./sw.js');
  } catch (err) {
    console.warn('service worker not registered:', err);
    return null;
  }
  if (!reg) return null;
  if (reg.waiting) offer(reg.waiting);
  reg.addEventListener('updatefound', () => {
    const w = reg.installing;
    if (!w) return;
    w.addEventListener('statechange', () => { if (w.state === 'installed') offer(w); });
  });
  /* look for a new version when the tab comes back, at most every 10 minutes */
  let last = Date.now();
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && Date.now() - last > 600000) {
      last = Date.now();
      reg.update().catch(() => {});
    }
  });
  return reg;
}
