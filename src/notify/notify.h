/*
 * notify.h — Web Push in the core (notify layer, between brief and api): the devices
 * subscribed, the decision "is this worth interrupting now?", and each delivery's state. No
 * I/O and no clock: hubd (src/server/push.c) asks push_plan what to send, encrypts and sends it
 * (webpush.c, libcurl), and reports the push services' answers with push_result.
 *
 * Tables: push_subs (subs.c), push_log and push_deliveries (plan.c), and two state keys in the
 * settings table, "push.seen_id" (the largest item id already considered) and "push.last_tip"
 * (the key of the tip last pushed), written by plan.c only.
 *
 * The decision (push_plan, unless "retries_only"), in this order:
 *   1. Items are new when their id is above push.seen_id; the first plan ever only sets the
 *      mark (a device that subscribes is not flooded with the whole inbox). The mark always
 *      moves on: an item is new once, whatever happens to it then.
 *   2. Nothing is decided when push_enabled is off, no device is subscribed, or the local time
 *      (now shifted by tz_offset_min: the request's, else the newest subscription's) lies in
 *      the quiet hours [push_quiet_start, push_quiet_end) (hours; across midnight when start >
 *      end; none when equal). Items new meanwhile are not announced later; the tip rule below
 *      brings the best of them once the quiet hours are over.
 *   3. Room: push_max_per_hour minus the pushes decided in the last hour; none left, nothing.
 *   4. At most one push per plan: the best new open item the inbox shows (not done, snoozed,
 *      muted or dismissed) whose score now (hub's, with the reason factor) reaches
 *      push_threshold and that was not pushed yet; pushing it also settles the tip of the
 *      moment (push.last_tip), so a user just interrupted is not interrupted again for that.
 *   5. Else the tip the serving policy would choose now (tip/: hub__tip_peek, nothing logged)
 *      when its key differs from push.last_tip.
 *   Dedupe: an item already pushed is pushed again only once it changed upstream (its
 *   updated_at moved past the mark logged with the push); a tip pushed before and unchanged
 *   only moves push.last_tip. Every push carries the one Topic HUB_PUSH_TOPIC, so a newer push
 *   replaces an older one still waiting at the push service, and the service worker uses it
 *   as the notification's tag: the newest replaces the one on screen — one tip at a time.
 * Each push decided gets one pending delivery per device. A plan returns every delivery due
 * (new ones and retries whose time came; none during the quiet hours) with the device's keys
 * and both payloads, and "next_at": when to ask again for the retries still waiting.
 *
 * Payload (JSON, ≤ HUB_PUSH_PAYLOAD_MAX bytes, well under Web Push's 3993):
 *   {"v":1,"key","title","topic","kind":"new|tip","repo","number","item_kind","why","at":ms}
 * and a small one for a service that answers 413: {"v":1,"key","title" (≤ 60 bytes),"topic","kind"}.
 *
 * Outcomes (push_result, as hubd's classifier names them): delivered (the device's last_ok,
 * failures reset), gone (404/410: the subscription is deleted), retry (429/5xx: again at
 * retry_at, or with a backoff; at most HUB_PUSH_MAX_ATTEMPTS tries), too_large (failed: hubd
 * already tried the small payload), vapid (400/403: failed, and the device is flagged
 * vapid_mismatch: most likely it subscribed with another VAPID key), failed (status 0, a
 * network error: retried like retry; any other status: failed).
 *
 * Commands (api/commands.def; times in ms):
 *   {"cmd":"push_subscribe","now","endpoint","p256dh","auth"[,"tz_offset_min","device"]}
 *       → {"subscription":{id,host,…},"created":bool}   (an endpoint already known is updated)
 *   {"cmd":"push_unsubscribe","endpoint"} → {"deleted":n}
 *   {"cmd":"push_subscriptions"[,"recent":n]} → {"subscriptions":[…],"vapid_mismatch":bool,
 *       "pending":n,"recent":[{id,key,kind,topic,created_at,sent,pending,failed}]}
 *   {"cmd":"push_plan","now"[,"tz_offset_min","retries_only":true]} → {"pushes":[{id,key,kind,
 *       topic,urgency,ttl,payload,payload_small,deliveries:[{sub,endpoint,p256dh,auth,attempt}]}],
 *       "why":"…","decided":n,"quiet":bool,"local_minute":m,"next_at":ms|null}
 *   {"cmd":"push_result","now","results":[{"push","sub","outcome"[,"status","retry_at","error"]}]}
 *       → {"delivered","removed","retrying","failed","next_at"}
 *   {"cmd":"push_request","op":"key|subscribe|unsubscribe|settings"[,"subscription":{endpoint,
 *       keys:{p256dh,auth}},"tz_offset_min","device","settings":{push_*}]} → {"request":{method,
 *       url,headers,body}}: what the page sends to the hubd of its hubd_url / hubd_key settings
 *       (the key is a secret setting the settings command never shows).
 */
#ifndef HUB_NOTIFY_H
#define HUB_NOTIFY_H

#include "hub_int.h"

#ifndef HUB_PUSH_MAX_SUBS
#define HUB_PUSH_MAX_SUBS 20 /* devices subscribed at once; the oldest goes beyond */
#endif
#ifndef HUB_PUSH_MAX_ATTEMPTS
#define HUB_PUSH_MAX_ATTEMPTS 5 /* tries of one delivery */
#endif
#ifndef HUB_PUSH_TTL_S
#define HUB_PUSH_TTL_S 43200 /* a push is worth delivering for 12 h, then it expires */
#endif
#ifndef HUB_PUSH_PAYLOAD_MAX
#define HUB_PUSH_PAYLOAD_MAX 1500 /* bytes of a payload (JSON) */
#endif
#ifndef HUB_PUSH_TITLE_MAX
#define HUB_PUSH_TITLE_MAX 300 /* bytes of a title in the payload (60 in the small one) */
#endif
#ifndef HUB_PUSH_DUE_MAX
#define HUB_PUSH_DUE_MAX 64 /* deliveries one plan hands out; the rest come with the next */
#endif
#ifndef HUB_PUSH_NEW_MAX
#define HUB_PUSH_NEW_MAX 200 /* new items looked at by one plan (best first) */
#endif
#ifndef HUB_PUSH_RETRY_MAX_MS
#define HUB_PUSH_RETRY_MAX_MS 86400000LL /* a retry_at further away is cut to this */
#endif
#ifndef HUB_PUSH_BACKOFF_MS
#define HUB_PUSH_BACKOFF_MS 30000LL /* a retry without a time: this × 2^attempts (≤ 1 h) */
#endif
#define HUB_PUSH_ENDPOINT_MAX 2048
#define HUB_PUSH_TOPIC "hub-tip" /* the Topic header and notification tag of every push */

/* subs.c */
cJSON *hub__push_subscribe_cmd(hub *h, const cJSON *req);
cJSON *hub__push_unsubscribe_cmd(hub *h, const cJSON *req);
cJSON *hub__push_subscriptions_cmd(hub *h, const cJSON *req);
cJSON *hub__push_request_cmd(hub *h, const cJSON *req);
/* The number of devices subscribed (-1 on error), and the newest one's tz offset (minutes east
 * of UTC; 0 when none) into *tz. */
int64_t hub__push_subs_count(hub *h, int64_t *tz);
/* Records one delivery outcome on its device: ok (last_ok = now, failures and the VAPID flag
 * cleared), a failure (failures + 1, last status and error; vapid raises the flag), or gone
 * (the device is deleted with its deliveries). Returns 0 or -1 (h->errmsg). */
typedef enum { HUB_PUSH_SUB_OK, HUB_PUSH_SUB_FAILED, HUB_PUSH_SUB_VAPID, HUB_PUSH_SUB_GONE } hub__push_sub_outcome;
int hub__push_sub_note(hub *h, int64_t sub, hub__push_sub_outcome o, int64_t status, const char *error,
                       int64_t now);

/* plan.c */
cJSON *hub__push_plan_cmd(hub *h, const cJSON *req);
cJSON *hub__push_result_cmd(hub *h, const cJSON *req);
/* 1 when local minute of day m (0..1439) lies in the quiet window [start, end) (minutes of the
 * day): across midnight when start > end, never when start == end. Pure. */
int hub__push_quiet(int m, int start, int end);
/* The local minute of the day (0..1439) of now_ms at tz_min minutes east of UTC. Pure. */
int hub__push_local_minute(int64_t now_ms, int64_t tz_min);

#endif
