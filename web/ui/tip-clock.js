/*
 * ui/tip-clock.js — the tip page's sense of time: "now" and the snooze presets.
 *
 * The page asks the core with an explicit "now" (the core reads no clock). makeClock()
 * returns Date.now() shifted by an optional offset: tip.html?now=<epoch ms> makes the page
 * believe it is that moment (and lets time run on from there), so a test can snooze an item
 * and come back "later" without waiting. snoozePresets() are pure functions of that now, in
 * the device's local time. Part of the page layer (web/ui); no DOM.
 */

/* Returns {now(), offsetMs} for a search string like "?now=1763200000000" (else offset 0).
 * Values outside 2000–2200 are ignored. */
export function makeClock(search) {
  let offsetMs = 0;
  try {
    const raw = new URLSearchParams(search || '').get('now');
    const v = raw === null ? NaN : Number(raw);
    if (Number.isFinite(v) && v > 946684800000 && v < 7258118400000) offsetMs = Math.round(v - Date.now());
  } catch { /* no override */ }
  return { offsetMs, now: () => Date.now() + offsetMs };
}

/* Returns the device's offset from UTC at nowMs in minutes east (what the core wants). */
export function tzOffsetMin(nowMs) {
  return -new Date(nowMs).getTimezoneOffset();
}

function at(nowMs, addDays, hour) {
  const d = new Date(nowMs);
  d.setDate(d.getDate() + addDays);
  d.setHours(hour, 0, 0, 0);
  return d.getTime();
}

const DAY = { weekday: 'short' };
function hhmm(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
}

/* Returns "19:00" today, "Tue 09:00" within six days, else "Mon 30 Nov 09:00" (the date
 * too, so next Monday is not read as today). Locale order for the date parts. */
export function when(ms, nowMs) {
  const d = new Date(ms);
  const today = new Date(nowMs);
  const sameDay = d.toDateString() === today.toDateString();
  if (sameDay) return hhmm(ms);
  if (ms - nowMs < 6.5 * 86400000 && ms > nowMs) return `${d.toLocaleDateString([], DAY)} ${hhmm(ms)}`;
  return `${d.toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short' })} ${hhmm(ms)}`;
}

/* Returns the four snooze presets for nowMs, each {id, key, label, until, hint}:
 *   1 hour     now + 60 min
 *   tonight    today 19:00 local, or now + 1 h when 19:00 has passed (or is under an hour away
 *              would still be "tonight": it is kept while it lies ahead)
 *   tomorrow   tomorrow 09:00 local
 *   next week  the next Monday 09:00 local (a week on when today is Monday) */
export function snoozePresets(nowMs) {
  const hour = nowMs + 3600000;
  let tonight = at(nowMs, 0, 19);
  if (tonight <= nowMs) tonight = hour;
  const tomorrow = at(nowMs, 1, 9);
  const dow = new Date(nowMs).getDay(); /* 0 Sunday … 6 Saturday */
  const toMonday = ((8 - dow) % 7) || 7;
  const nextWeek = at(nowMs, toMonday, 9);
  return [
    { id: 'hour', key: '1', label: '1 hour', until: hour, hint: when(hour, nowMs) },
    { id: 'tonight', key: '2', label: 'Tonight', until: tonight, hint: when(tonight, nowMs) },
    { id: 'tomorrow', key: '3', label: 'Tomorrow', until: tomorrow, hint: when(tomorrow, nowMs) },
    { id: 'week', key: '4', label: 'Next week', until: nextWeek, hint: when(nextWeek, nowMs) },
  ];
}
