/*
 * transport_curl.c — performs the core's planned requests with libcurl and drives a sync
 * run to completion. This is the native half of the sans-I/O contract: sockets, TLS,
 * timeouts and the real clock live here, never in src/.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include "transport.h"

int64_t hub_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const atomic_int *cancel_flag;

void hub_transport_set_cancel(const atomic_int *flag) { cancel_flag = flag; }

static int cancelled(void) { return cancel_flag && atomic_load(cancel_flag); }

/* libcurl's progress callback (at least once a second): non-zero aborts the transfer. */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  (void)ud, (void)dt, (void)dn, (void)ut, (void)un;
  return cancelled();
}

typedef struct {
  char *p;
  size_t len, cap, max;
  int over;
} dbuf;

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  dbuf *b = ud;
  size_t add = size * n;
  if (b->len + add > b->max) {
    b->over = 1;
    return 0; /* abort the transfer */
  }
  if (b->len + add + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 16384;
    char *np;
    while (cap < b->len + add + 1) cap *= 2;
    np = realloc(b->p, cap);
    if (!np) return 0;
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, add);
  b->len += add;
  b->p[b->len] = 0;
  return add;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud) {
  cJSON *headers = ud;
  size_t len = size * n, i, klen;
  char name[128], *value;
  const char *colon = memchr(data, ':', len);
  if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
    /* a new response (e.g. after 100-continue): forget earlier headers */
    while (headers->child) cJSON_DeleteItemFromArray(headers, 0);
    return len;
  }
  if (!colon) return len;
  klen = (size_t)(colon - data);
  if (klen == 0 || klen >= sizeof name) return len;
  for (i = 0; i < klen; i++) name[i] = (char)tolower((unsigned char)data[i]);
  name[klen] = 0;
  colon++;
  while (colon < data + len && (*colon == ' ' || *colon == '\t')) colon++;
  i = (size_t)(data + len - colon);
  while (i && (colon[i - 1] == '\r' || colon[i - 1] == '\n' || colon[i - 1] == ' ')) i--;
  value = malloc(i + 1);
  if (!value) return 0;
  memcpy(value, colon, i);
  value[i] = 0;
  if (cJSON_GetObjectItemCaseSensitive(headers, name)) {
    /* repeated header: join with ", " as HTTP allows */
    cJSON *old = cJSON_GetObjectItemCaseSensitive(headers, name);
    size_t ol = strlen(old->valuestring);
    char *j = malloc(ol + 2 + i + 1);
    if (j) {
      memcpy(j, old->valuestring, ol);
      memcpy(j + ol, ", ", 2);
      memcpy(j + ol + 2, value, i + 1);
      cJSON_ReplaceItemInObjectCaseSensitive(headers, name, cJSON_CreateString(j));
      free(j);
    }
  } else {
    cJSON_AddStringToObject(headers, name, value);
  }
  free(value);
  return len;
}

cJSON *hub_transport_perform(const cJSON *req, size_t max_body, char **out_body, size_t *out_len) {
  const cJSON *url = cJSON_GetObjectItemCaseSensitive(req, "url");
  const cJSON *hdrs = cJSON_GetObjectItemCaseSensitive(req, "headers"), *e;
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
  const cJSON *tmo = cJSON_GetObjectItemCaseSensitive(req, "timeout_ms");
  const cJSON *method = cJSON_GetObjectItemCaseSensitive(req, "method");
  const cJSON *rbody = cJSON_GetObjectItemCaseSensitive(req, "body");
  cJSON *feed = cJSON_CreateObject(), *rh = cJSON_CreateObject();
  struct curl_slist *list = NULL;
  CURL *c = NULL;
  dbuf body = {NULL, 0, 0, max_body, 0};
  char errbuf[CURL_ERROR_SIZE] = "";
  long status = 0;
  CURLcode rc;
  *out_body = NULL;
  *out_len = 0;
  if (!feed || !rh || !cJSON_IsString(url)) goto oom;
  cJSON_AddNumberToObject(feed, "id", cJSON_IsNumber(id) ? id->valuedouble : 0);
  cJSON_ArrayForEach(e, hdrs) {
    char line[8192];
    if (!cJSON_IsString(e)) continue;
    snprintf(line, sizeof line, "%s: %s", e->string, e->valuestring);
    list = curl_slist_append(list, line);
    memset(line, 0, sizeof line); /* may hold the token */
  }
  c = curl_easy_init();
  if (!c) goto oom;
  curl_easy_setopt(c, CURLOPT_URL, url->valuestring);
  /* a change upstream (the triage outbox): the core's method, and its body when it has one */
  if (cJSON_IsString(method) && strcmp(method->valuestring, "GET") != 0) {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method->valuestring);
    if (cJSON_IsString(rbody)) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, rbody->valuestring);
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(rbody->valuestring));
    }
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "hub/0.1 (+libcurl)");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, rh);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cJSON_IsNumber(tmo) ? (long)tmo->valuedouble : 30000L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
  rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (rc == CURLE_WRITE_ERROR && body.over) {
    cJSON_AddNumberToObject(feed, "status", (double)status);
    cJSON_AddTrueToObject(feed, "body_too_large");
  } else if (rc != CURLE_OK) {
    char msg[CURL_ERROR_SIZE + 64];
    snprintf(msg, sizeof msg, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    cJSON_AddStringToObject(feed, "error", msg);
    /* no answer could be had at all: the core ends the run at once instead of retrying */
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY)
      cJSON_AddTrueToObject(feed, "offline");
  } else {
    cJSON_AddNumberToObject(feed, "status", (double)status);
    cJSON_AddItemToObject(feed, "headers", rh);
    rh = NULL;
    *out_body = body.p; /* the bytes as they came: hub_feed takes them without a JSON string */
    *out_len = body.len;
    body.p = NULL;
  }
  curl_easy_cleanup(c);
  curl_slist_free_all(list);
  cJSON_Delete(rh);
  free(body.p);
  return feed;
oom:
  if (c) curl_easy_cleanup(c);
  curl_slist_free_all(list);
  cJSON_Delete(feed);
  cJSON_Delete(rh);
  free(body.p);
  return NULL;
}

cJSON *hub_callj(hub *h, const cJSON *req) {
  char *in = cJSON_PrintUnformatted(req), *out;
  cJSON *r;
  if (!in) return NULL;
  out = hub_call(h, in);
  cJSON_free(in);
  if (!out) return NULL;
  r = cJSON_Parse(out);
  hub_free(out);
  return r;
}

cJSON *hub_feedj(hub *h, cJSON *feed, const char *body, size_t body_len) {
  char *in, *out;
  cJSON *r;
  cJSON_AddStringToObject(feed, "cmd", "sync_feed");
  cJSON_AddNumberToObject(feed, "now", (double)hub_now_ms());
  in = cJSON_PrintUnformatted(feed);
  if (!in) return NULL;
  out = hub_feed(h, in, strlen(in), body, body_len);
  cJSON_free(in);
  if (!out) return NULL;
  r = cJSON_Parse(out);
  hub_free(out);
  return r;
}

static void sleep_ms(int64_t ms) {
  struct timespec ts;
  while (ms > 0 && !cancelled()) { /* in slices, so a cancel ends the wait */
    int64_t step = ms > 100 ? 100 : ms;
    ts.tv_sec = 0;
    ts.tv_nsec = (long)step * 1000000L;
    nanosleep(&ts, NULL);
    ms -= step;
  }
}

/* Records the run as aborted and returns the "cancelled" error result. */
static cJSON *cancel_run(hub *h) {
  cJSON *req = cJSON_CreateObject(), *res = cJSON_CreateObject(), *e;
  cJSON_AddStringToObject(req, "cmd", "sync_abort");
  cJSON_AddStringToObject(req, "reason", "cancelled: the server is stopping");
  cJSON_Delete(hub_callj(h, req));
  cJSON_Delete(req);
  e = cJSON_AddObjectToObject(res, "error");
  cJSON_AddStringToObject(e, "code", "cancelled");
  cJSON_AddStringToObject(e, "message", "the sync was cancelled: the server is stopping");
  return res;
}

cJSON *hub_sync_run(hub *h, const char *token, const char *token_from, const char *api, int64_t max_wait_ms,
                    int verbose) {
  return hub_sync_run_sources(h, token, token_from, api, max_wait_ms, NULL, verbose);
}

cJSON *hub_sync_run_sources(hub *h, const char *token, const char *token_from, const char *api, int64_t max_wait_ms,
                            const char *const *sources, int verbose) {
  cJSON *req = cJSON_CreateObject(), *res = NULL;
  if (!req) return NULL;
  cJSON_AddStringToObject(req, "cmd", "sync_start");
  cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
  cJSON_AddNumberToObject(req, "max_wait_ms", (double)max_wait_ms);
  if (token) cJSON_AddStringToObject(req, "token", token);
  if (token && token_from) cJSON_AddStringToObject(req, "token_from", token_from);
  if (api) cJSON_AddStringToObject(req, "api", api);
  if (sources) {
    cJSON *arr = cJSON_AddArrayToObject(req, "sources");
    for (; *sources; sources++) cJSON_AddItemToArray(arr, cJSON_CreateString(*sources));
  }
  res = hub_callj(h, req);
  cJSON_Delete(req);
  if (!res || cJSON_GetObjectItemCaseSensitive(res, "error")) return res;
  cJSON_Delete(res);
  for (;;) { /* perform what the core asks: its policy decides retries, waits and giving up */
    const cJSON *fetch, *wait, *f;
    if (cancelled()) return cancel_run(h);
    req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "cmd", "sync_next");
    cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
    res = hub_callj(h, req);
    cJSON_Delete(req);
    if (!res || cJSON_GetObjectItemCaseSensitive(res, "error")) return res;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "done"))) return res;
    fetch = cJSON_GetObjectItemCaseSensitive(res, "fetch");
    wait = cJSON_GetObjectItemCaseSensitive(res, "wait_until");
    if (cJSON_GetArraySize(fetch) == 0 && cJSON_IsNumber(wait)) {
      int64_t d = (int64_t)wait->valuedouble - hub_now_ms();
      if (verbose) fprintf(stderr, "hub: waiting %lld ms\n", (long long)d);
      sleep_ms(d);
    }
    cJSON_ArrayForEach(f, fetch) {
      cJSON *feed;
      char *body = NULL;
      size_t blen = 0;
      if (verbose) fprintf(stderr, "hub: GET %s\n", cJSON_GetObjectItemCaseSensitive(f, "url")->valuestring);
      feed = hub_transport_perform(f, 16u * 1024u * 1024u, &body, &blen);
      if (!feed) {
        cJSON_Delete(res);
        return NULL;
      }
      if (cancelled()) { /* an aborted transfer is not an upstream failure: do not feed it */
        cJSON_Delete(feed);
        free(body);
        break;
      }
      cJSON_Delete(hub_feedj(h, feed, body, blen));
      cJSON_Delete(feed);
      free(body);
    }
    cJSON_Delete(res);
  }
}

/* ---- concurrent POSTs (Web Push) through the multi interface ---------------------------------- */

typedef struct {
  hub_transport_post *r;
  struct curl_slist *list;
  CURL *e;    /* while attached to the multi handle */
  size_t got; /* body bytes read and dropped */
} post_ctx;

static size_t post_body(char *data, size_t size, size_t n, void *ud) {
  post_ctx *c = ud;
  (void)data;
  c->got += size * n;
  return c->got > 65536 ? 0 : size * n;
}

static size_t post_header(char *data, size_t size, size_t n, void *ud) {
  post_ctx *c = ud;
  size_t len = size * n, i = 12, j = 0;
  if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
    while (i < len && (data[i] == ' ' || data[i] == '\t')) i++;
    while (i < len && data[i] != '\r' && data[i] != '\n' && j + 1 < sizeof c->r->retry_after)
      c->r->retry_after[j++] = data[i++];
    c->r->retry_after[j] = 0;
  }
  return len;
}

/* A configured easy handle for c, or NULL. */
static CURL *post_easy(post_ctx *c, long timeout_ms) {
  CURL *e = curl_easy_init();
  size_t i;
  if (!e) return NULL;
  for (i = 0; i < c->r->nheaders; i++) c->list = curl_slist_append(c->list, c->r->headers[i]);
  curl_easy_setopt(e, CURLOPT_URL, c->r->url);
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->r->body ? (const void *)c->r->body : (const void *)"");
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)c->r->body_len);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->list);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "hub/0.1 (+libcurl)");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, post_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, post_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
  curl_easy_setopt(e, CURLOPT_PRIVATE, c);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
  return e;
}

static int post_stopped(const atomic_int *stop) { return cancelled() || (stop && atomic_load(stop)); }

/* Starts the transfer of c (returns 0) or marks it failed (-1). */
static int post_start(CURLM *m, post_ctx *c, long timeout_ms) {
  CURL *e = post_easy(c, timeout_ms);
  if (e && curl_multi_add_handle(m, e) == CURLM_OK) {
    c->e = e;
    return 0;
  }
  if (e) curl_easy_cleanup(e);
  snprintf(c->r->error, sizeof c->r->error, "cannot start the transfer");
  return -1;
}

/* Collects the transfers that ended. Returns how many did. */
static size_t post_reap(CURLM *m) {
  CURLMsg *msg;
  int left;
  size_t done = 0;
  while ((msg = curl_multi_info_read(m, &left))) {
    post_ctx *c = NULL;
    if (msg->msg != CURLMSG_DONE) continue;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
    if (msg->data.result == CURLE_OK) curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &c->r->status);
    else snprintf(c->r->error, sizeof c->r->error, "%s", curl_easy_strerror(msg->data.result));
    curl_multi_remove_handle(m, msg->easy_handle);
    curl_easy_cleanup(msg->easy_handle);
    c->e = NULL;
    done++;
  }
  return done;
}

int hub_transport_post_many(hub_transport_post *r, size_t n, long timeout_ms, const atomic_int *stop) {
  CURLM *m = curl_multi_init();
  post_ctx *c = calloc(n ? n : 1, sizeof *c);
  size_t i, next = 0, running = 0;
  int rc = -1, still = 0;
  for (i = 0; i < n; i++) {
    r[i].status = 0;
    r[i].retry_after[0] = r[i].error[0] = 0;
  }
  if (!m || !c) goto done;
  for (i = 0; i < n; i++) c[i].r = &r[i];
  while (next < n || running > 0) {
    while (next < n && running < HUB_TRANSPORT_PARALLEL && !post_stopped(stop))
      if (post_start(m, &c[next++], timeout_ms) == 0) running++;
    if (post_stopped(stop) && running == 0) break;
    if (curl_multi_perform(m, &still) != CURLM_OK) break;
    running -= post_reap(m);
    if (running > 0) curl_multi_poll(m, NULL, 0, post_stopped(stop) ? 0 : 200, NULL);
    if (post_stopped(stop)) { /* abandon what is under way */
      running -= post_reap(m);
      break;
    }
  }
  rc = 0;
done:
  for (i = 0; i < n; i++)
    if (!r[i].status && !r[i].error[0]) snprintf(r[i].error, sizeof r[i].error, "cancelled");
  for (i = 0; c && i < n; i++) {
    if (c[i].e) { /* abandoned on a stop */
      curl_multi_remove_handle(m, c[i].e);
      curl_easy_cleanup(c[i].e);
    }
    curl_slist_free_all(c[i].list);
  }
  if (m) curl_multi_cleanup(m);
  free(c);
  return rc;
}
