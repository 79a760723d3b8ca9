/*
 * push.c — hubd's Web Push driver: the VAPID key, the allow-list, the push routes and the
 * sending thread (native driver layer; see push.h). What to push and every delivery's state
 * are the core's (src/notify/); this file only performs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cJSON.h"
#include "hub_int.h"
#include "hubd_log.h"
#include "push.h"
#include "secrets.h"
#include "transport.h"
#include "webpush.h"

#define KEY_FILE_MAX 1024

struct hubd_push {
  hubd_api *api;
  pthread_mutex_t mu; /* guards everything below but keys (set once) */
  pthread_cond_t wake;
  pthread_t thread;
  int started, kicked;
  atomic_int stopping;
  int64_t next_at; /* a retry round then (0: none) */
  hub_wp_vapid keys;
  char pub[HUB_WP_PUBLIC_B64];
  hub_wp_policy policy;
  char subject[HUB_WP_MAX_SUBJECT + 1];
  long rounds, retry_rounds, delivered_total;
  char last[600], last_full[600]; /* the last round and the last kicked one, as JSON */
};

/* One delivery being sent. */
typedef struct {
  int64_t push, sub;
  int attempt, small_tried;
  const cJSON *p, *d; /* its push and delivery in the plan (borrowed) */
  hub_wp_request *req;
  char *lines[HUB_WP_MAX_HEADERS];
  hub_transport_post post;
  const char *outcome;
  int64_t retry_at; /* ms */
  char error[HUB_WP_ERR];
} job;

/* What one round did (for GET /api/push and the log). */
typedef struct {
  long pushes, sent, delivered, gone, retry, failed, too_large, vapid;
  int64_t retry_at;
  char why[32];
} round_tally;

static int64_t num_of(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? hub__num_clamp(v->valuedouble, INT64_MIN / 2, INT64_MAX / 2) : 0;
}

static const char *str_of(const cJSON *o, const char *k) {
  const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
  return s ? s : "";
}

/* ---- configuration: the allow-list, the subject, the key ----------------------------------- */

/* Builds the policy from the host list: "127.0.0.1" admits the loopback double, the rest are
 * names for webpush.c. 0, or -1 with err. */
static int policy_from(const char *hosts, hub_wp_policy *pol, char *err, size_t errlen) {
  char names[HUBD_PUSH_HOSTS_MAX], tok[256];
  const char *s = hosts ? hosts : "", *sep = ", \t\r\n";
  size_t used = 0;
  int loopback = 0;
  names[0] = 0;
  while (*s) {
    size_t n;
    s += strspn(s, sep);
    n = strcspn(s, sep);
    if (!n) break;
    if (n >= sizeof tok || used + n + 2 > sizeof names) {
      snprintf(err, errlen, "push_hosts: too long");
      return -1;
    }
    memcpy(tok, s, n);
    tok[n] = 0;
    s += n;
    if (strcmp(tok, "127.0.0.1") == 0) loopback = 1;
    else used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", used ? "," : "", tok);
  }
  hub_wp_policy_default(pol);
  if (used && hub_wp_policy_set(pol, names, NULL, err, errlen)) return -1;
  if (!used) pol->nhosts = 0; /* only the loopback double (or nothing): no push service */
  pol->allow_loopback_http = loopback;
  return 0;
}

/* Checks the subject by signing once for a dummy origin. 0, or -1 with err. */
static int subject_ok(const hub_wp_vapid *k, const char *subject, char *err, size_t errlen) {
  char auth[HUB_WP_MAX_HEADER_VALUE];
  if (!subject || strlen(subject) > HUB_WP_MAX_SUBJECT) {
    snprintf(err, errlen, "vapid_subject: missing or longer than %d bytes", HUB_WP_MAX_SUBJECT);
    return -1;
  }
  return hub_wp_vapid_auth(k, "https://push.example", subject, hub_now_ms() / 1000, auth, sizeof auth, err, errlen);
}

/* Reads the sealed key file (fd open) and imports it. 0, or -1 with err. */
static int key_read(int fd, const char *path, const unsigned char secret[32], hub_wp_vapid *k, char *err,
                    size_t errlen) {
  struct stat st;
  char text[KEY_FILE_MAX + 1], *clear = NULL;
  ssize_t got;
  int rc = -1;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
    snprintf(err, errlen, "VAPID key file %s must be a regular file of this user, mode 0600", path);
    return -1;
  }
  got = read(fd, text, KEY_FILE_MAX);
  text[got > 0 ? got : 0] = 0;
  clear = got > 0 ? hubd_secret_open(secret, text, NULL) : NULL;
  if (!clear) snprintf(err, errlen, "VAPID key file %s cannot be opened with the at-rest key", path);
  else rc = hub_wp_vapid_import(k, clear, NULL, err, errlen);
  hubd_secret_free(clear);
  memset(text, 0, sizeof text);
  return rc;
}

/* Creates the key file with a new key pair (O_EXCL, 0600). 0, or -1 with err. */
static int key_create(const char *path, const unsigned char secret[32], hub_wp_vapid *k, char *err, size_t errlen) {
  char priv[HUB_WP_PRIVATE_B64], *sealed = NULL;
  int fd = -1, rc = -1;
  size_t n;
  if (hub_wp_vapid_generate(k, err, errlen)) return -1;
  hub_wp_vapid_export(k, priv, NULL);
  sealed = hubd_secret_seal(secret, priv, strlen(priv));
  memset(priv, 0, sizeof priv);
  if (!sealed) {
    snprintf(err, errlen, "out of memory");
    goto done;
  }
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  n = strlen(sealed);
  sealed[n] = '\n'; /* the NUL goes: written with its length */
  if (fd < 0 || write(fd, sealed, n + 1) != (ssize_t)(n + 1) || fsync(fd) != 0) {
    snprintf(err, errlen, "cannot write VAPID key file %s: %s", path, strerror(errno));
    if (fd >= 0) unlink(path);
    goto done;
  }
  hubd_log(HUBD_LOG_INFO, "vapid_key_created", "file", path, (char *)NULL);
  rc = 0;
done:
  if (fd >= 0) close(fd);
  free(sealed);
  return rc;
}

static int key_load(hubd_push *p, const hubd_push_conf *c, char *err, size_t errlen) {
  int fd, rc;
  if (c->vapid_private_key) return hub_wp_vapid_import(&p->keys, c->vapid_private_key, NULL, err, errlen);
  fd = open(c->vapid_key_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return key_create(c->vapid_key_file, c->secret_key, &p->keys, err, errlen);
  if (fd < 0) {
    snprintf(err, errlen, "VAPID key file %s: %s", c->vapid_key_file, strerror(errno));
    return -1;
  }
  rc = key_read(fd, c->vapid_key_file, c->secret_key, &p->keys, err, errlen);
  close(fd);
  return rc;
}

/* ---- endpoints ---------------------------------------------------------------------------- */

/* 1 when host is on the policy's list (equal, or a proper subdomain of a "*.d" entry). */
static int host_listed(const hub_wp_policy *pol, const char *host) {
  size_t i, hl = strlen(host);
  for (i = 0; i < pol->nhosts; i++) {
    const char *e = pol->hosts[i];
    if (strncmp(e, "*.", 2) == 0) {
      size_t sl = strlen(e + 1);
      if (hl > sl && strcmp(host + hl - sl, e + 1) == 0) return 1;
    } else if (strcmp(host, e) == 0) {
      return 1;
    }
  }
  return 0;
}

/* The endpoint rule of push.h, on the PARSED URL, then webpush.c's own check. 0, or -1 with
 * err. */
static int endpoint_allowed(const hub_wp_policy *pol, const char *url, char *err, size_t errlen) {
  hub__url u;
  int loopback_double;
  if (!url || hub__url_parse(url, &u) != 0) {
    snprintf(err, errlen, "endpoint: not an absolute http(s) URL");
    return -1;
  }
  loopback_double = pol->allow_loopback_http && !u.https && strcmp(u.host, "127.0.0.1") == 0;
  if (!u.https && !loopback_double) {
    snprintf(err, errlen, "endpoint: only https push endpoints are allowed");
    return -1;
  }
  if (!loopback_double && (hub__host_loopback(u.host) || hub__host_private(u.host))) {
    snprintf(err, errlen, "endpoint: %.64s is this machine or a private network", u.host);
    return -1;
  }
  if (!loopback_double && !host_listed(pol, u.host)) {
    snprintf(err, errlen, "endpoint: %.64s is not a push service on the allow-list (push_hosts)", u.host);
    return -1;
  }
  return hub_wp_endpoint_check(pol, url, NULL, 0, err, errlen);
}

/* ---- one round: plan, send, report ------------------------------------------------------------ */

static void job_free(job *j) {
  size_t i;
  for (i = 0; i < HUB_WP_MAX_HEADERS; i++) free(j->lines[i]);
  free(j->req);
  memset(j->lines, 0, sizeof j->lines);
  j->req = NULL;
}

/* Encrypts and signs j (its push's payload, or the small one) into a POST. 0, or -1 with
 * j->outcome and j->error set (nothing to send). */
static int job_build(hubd_push *p, job *j, const hub_wp_policy *pol, const char *subject, int small) {
  hub_wp_subscription s;
  hub_wp_options o;
  const char *payload = str_of(j->p, small ? "payload_small" : "payload");
  char err[HUB_WP_ERR] = "";
  size_t i;
  job_free(j);
  memset(&j->post, 0, sizeof j->post);
  if (endpoint_allowed(pol, str_of(j->d, "endpoint"), err, sizeof err) ||
      hub_wp_subscription_parse(&s, str_of(j->d, "endpoint"), str_of(j->d, "p256dh"), str_of(j->d, "auth"), err,
                                sizeof err)) {
    j->outcome = "gone"; /* no longer a subscription hubd may serve */
    snprintf(j->error, sizeof j->error, "%s", err);
    return -1;
  }
  o.ttl = (long)num_of(j->p, "ttl");
  o.urgency = str_of(j->p, "urgency");
  o.topic = str_of(j->p, "topic");
  j->req = malloc(sizeof *j->req);
  if (!j->req || hub_wp_plan(j->req, &s, (const unsigned char *)payload, strlen(payload), &o, &p->keys, subject,
                             hub_now_ms() / 1000, pol, err, sizeof err)) {
    j->outcome = "failed";
    snprintf(j->error, sizeof j->error, "%s", j->req ? err : "out of memory");
    return -1;
  }
  for (i = 0; i < j->req->nheaders; i++) {
    size_t n = strlen(j->req->headers[i].name) + strlen(j->req->headers[i].value) + 3;
    if (!(j->lines[i] = malloc(n))) break;
    snprintf(j->lines[i], n, "%s: %s", j->req->headers[i].name, j->req->headers[i].value);
  }
  j->post.url = j->req->url;
  j->post.headers = (const char *const *)j->lines;
  j->post.nheaders = i;
  j->post.body = j->req->body;
  j->post.body_len = j->req->body_len;
  return 0;
}

/* Sends every job that has a request; 413s once more with the small payload. */
static void jobs_send(hubd_push *p, job *jobs, size_t n, const hub_wp_policy *pol, const char *subject) {
  hub_transport_post *posts = calloc(n ? n : 1, sizeof *posts);
  size_t i, k, pass;
  if (!posts) return;
  for (pass = 0; pass < 2; pass++) {
    for (i = k = 0; i < n; i++)
      if (jobs[i].req && !jobs[i].outcome) posts[k++] = jobs[i].post;
    if (!k) break;
    hub_transport_post_many(posts, k, HUBD_PUSH_TIMEOUT_MS, &p->stopping);
    for (i = k = 0; i < n; i++) {
      if (!jobs[i].req || jobs[i].outcome) continue;
      jobs[i].post = posts[k++];
      if (jobs[i].post.status == 413 && !jobs[i].small_tried) {
        jobs[i].small_tried = 1;
        job_build(p, &jobs[i], pol, subject, 1); /* unset outcome: sent again in the next pass */
      } else {
        jobs[i].outcome = ""; /* answered: classified below */
      }
    }
  }
  free(posts);
}

/* Turns each job's answer into a push_result entry. */
static cJSON *jobs_results(job *jobs, size_t n, int64_t now, round_tally *t) {
  cJSON *arr = cJSON_CreateArray();
  size_t i;
  for (i = 0; i < n; i++) {
    job *j = &jobs[i];
    cJSON *r;
    if (!j->outcome || (!*j->outcome && j->post.status == 0 && strcmp(j->post.error, "cancelled") == 0)) continue;
    if (!*j->outcome) {
      int64_t at = 0;
      hub_wp_outcome o = hub_wp_classify((int)j->post.status, j->post.retry_after[0] ? j->post.retry_after : NULL,
                                         now / 1000, j->attempt, &at);
      j->outcome = hub_wp_outcome_name(o);
      j->retry_at = o == HUB_WP_RETRY ? at * 1000 : 0;
      if (j->post.status == 0) snprintf(j->error, sizeof j->error, "%s", j->post.error);
      else snprintf(j->error, sizeof j->error, "HTTP %ld", j->post.status);
      t->sent++;
    }
    r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "push", (double)j->push);
    cJSON_AddNumberToObject(r, "sub", (double)j->sub);
    cJSON_AddStringToObject(r, "outcome", j->outcome);
    cJSON_AddNumberToObject(r, "status", (double)(j->post.status > 0 && j->post.status < 1000 ? j->post.status : 0));
    if (j->retry_at) cJSON_AddNumberToObject(r, "retry_at", (double)j->retry_at);
    if (j->error[0]) cJSON_AddStringToObject(r, "error", j->error);
    hub__push(arr, r);
    t->delivered += strcmp(j->outcome, "delivered") == 0;
    t->gone += strcmp(j->outcome, "gone") == 0;
    t->retry += strcmp(j->outcome, "retry") == 0;
    t->failed += strcmp(j->outcome, "failed") == 0;
    t->too_large += strcmp(j->outcome, "too_large") == 0;
    t->vapid += strcmp(j->outcome, "vapid") == 0;
    if (j->retry_at && (!t->retry_at || j->retry_at < t->retry_at)) t->retry_at = j->retry_at;
  }
  return arr;
}

/* Runs one core command on the writer. The parsed answer (NULL on failure, logged). */
static cJSON *core(hubd_push *p, cJSON *req) {
  char *in = cJSON_PrintUnformatted(req), *out = in ? hubd_writer_call(p->api->writer, in, strlen(in)) : NULL;
  cJSON *res = out ? cJSON_Parse(out) : NULL;
  if (!res || cJSON_GetObjectItemCaseSensitive(res, "error")) {
    hubd_log(atomic_load(&p->stopping) ? HUBD_LOG_DEBUG : HUBD_LOG_WARN, "push_core_failed", "cmd",
             str_of(req, "cmd"), "answer", out ? out : "out of memory", (char *)NULL);
    cJSON_Delete(res);
    res = NULL;
  }
  cJSON_free(in);
  hub_free(out);
  cJSON_Delete(req);
  return res;
}

/* The plan's deliveries as jobs (built: encrypted and signed). *n their number. */
static job *plan_jobs(hubd_push *p, const cJSON *plan, size_t *n, const hub_wp_policy *pol, const char *subject,
                      round_tally *t) {
  const cJSON *pu, *d;
  job *jobs;
  size_t k = 0, total = 0;
  cJSON_ArrayForEach(pu, cJSON_GetObjectItemCaseSensitive(plan, "pushes")) {
    t->pushes++;
    total += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(pu, "deliveries"));
  }
  *n = 0;
  jobs = calloc(total ? total : 1, sizeof *jobs);
  if (!jobs) return NULL;
  cJSON_ArrayForEach(pu, cJSON_GetObjectItemCaseSensitive(plan, "pushes")) {
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(pu, "deliveries")) {
      if (k == total) break;
      jobs[k].p = pu;
      jobs[k].d = d;
      jobs[k].push = num_of(pu, "id");
      jobs[k].sub = num_of(d, "sub");
      jobs[k].attempt = (int)num_of(d, "attempt");
      job_build(p, &jobs[k], pol, subject, 0);
      k++;
    }
  }
  *n = k;
  return jobs;
}

/* One step: a plan, its deliveries sent, the answers reported. Returns the plan's next_at
 * (0: none; -1: a failure), and whether anything was handed out in *any. */
static int64_t step(hubd_push *p, int full, round_tally *t, int *any) {
  cJSON *req = cJSON_CreateObject(), *plan, *res;
  hub_wp_policy pol;
  char subject[HUB_WP_MAX_SUBJECT + 1];
  job *jobs;
  size_t n = 0, i;
  int64_t next, now = hub_now_ms();
  cJSON_AddStringToObject(req, "cmd", "push_plan");
  cJSON_AddNumberToObject(req, "now", (double)now);
  if (!full) cJSON_AddTrueToObject(req, "retries_only");
  if (!(plan = core(p, req))) return -1;
  if (full) snprintf(t->why, sizeof t->why, "%s", str_of(plan, "why"));
  next = num_of(plan, "next_at");
  pthread_mutex_lock(&p->mu);
  pol = p->policy;
  snprintf(subject, sizeof subject, "%s", p->subject);
  pthread_mutex_unlock(&p->mu);
  jobs = plan_jobs(p, plan, &n, &pol, subject, t);
  *any = n > 0;
  if (n) {
    jobs_send(p, jobs, n, &pol, subject);
    req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "cmd", "push_result");
    cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
    hub__put(req, "results", jobs_results(jobs, n, hub_now_ms(), t));
    res = core(p, req);
    next = res ? 0 : -1; /* the next plan (retries only) says when */
    cJSON_Delete(res);
  }
  for (i = 0; jobs && i < n; i++) job_free(&jobs[i]);
  free(jobs);
  cJSON_Delete(plan);
  return next;
}

/* A round: steps until nothing is due now. Returns when to come back (0: not before a kick). */
static int64_t round_run(hubd_push *p, int full) {
  round_tally t;
  int64_t next = 0;
  int s, any = 1;
  char retry[24];
  memset(&t, 0, sizeof t);
  snprintf(t.why, sizeof t.why, "retries");
  for (s = 0; s < HUBD_PUSH_ROUND_STEPS && any && !atomic_load(&p->stopping); s++) {
    next = step(p, full && s == 0, &t, &any);
    if (next < 0) {
      next = hub_now_ms() + HUBD_PUSH_ERROR_RETRY_MS;
      break;
    }
  }
  snprintf(retry, sizeof retry, "%lld", (long long)t.retry_at);
  pthread_mutex_lock(&p->mu);
  if (full) p->rounds++;
  else p->retry_rounds++;
  p->delivered_total += t.delivered;
  snprintf(p->last, sizeof p->last,
           "{\"at\":%lld,\"full\":%s,\"why\":\"%s\",\"pushes\":%ld,\"sent\":%ld,\"delivered\":%ld,\"gone\":%ld,"
           "\"retry\":%ld,\"failed\":%ld,\"too_large\":%ld,\"vapid\":%ld,\"retry_at\":%s}",
           (long long)hub_now_ms(), full ? "true" : "false", t.why, t.pushes, t.sent, t.delivered, t.gone, t.retry,
           t.failed, t.too_large, t.vapid, t.retry_at ? retry : "null");
  if (full) memcpy(p->last_full, p->last, sizeof p->last_full);
  pthread_mutex_unlock(&p->mu);
  if (t.sent || t.gone || t.failed)
    hubd_log(HUBD_LOG_INFO, "push_round", "round", p->last, (char *)NULL);
  return next;
}

static void *push_main(void *arg) {
  hubd_push *p = arg;
  pthread_mutex_lock(&p->mu);
  while (!atomic_load(&p->stopping)) {
    int64_t now = hub_now_ms();
    if (p->kicked || (p->next_at > 0 && p->next_at <= now)) {
      int full = p->kicked;
      int64_t next;
      p->kicked = 0;
      p->next_at = 0;
      pthread_mutex_unlock(&p->mu);
      next = round_run(p, full);
      pthread_mutex_lock(&p->mu);
      if (next > 0 && (!p->next_at || next < p->next_at)) p->next_at = next;
      continue;
    }
    {
      int64_t until = p->next_at > 0 ? p->next_at : now + 60000;
      struct timespec ts = {(time_t)(until / 1000), (long)(until % 1000) * 1000000L};
      pthread_cond_timedwait(&p->wake, &p->mu, &ts);
    }
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* ---- start, reload, stop ------------------------------------------------------------------------ */

hubd_push *hubd_push_start(hubd_api *api, const hubd_push_conf *c, char *err, size_t errlen) {
  hubd_push *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  p->api = api;
  atomic_init(&p->stopping, 0);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->wake, NULL);
  if (key_load(p, c, err, errlen) || hubd_push_set(p, c, err, errlen)) goto fail;
  hub_wp_vapid_export(&p->keys, NULL, p->pub);
  snprintf(p->last, sizeof p->last, "null");
  snprintf(p->last_full, sizeof p->last_full, "null");
  if (pthread_create(&p->thread, NULL, push_main, p) != 0) {
    snprintf(err, errlen, "cannot start the push thread");
    goto fail;
  }
  p->started = 1;
  hubd_log(HUBD_LOG_INFO, "push", "vapid_public_key", p->pub, "hosts", c->hosts, "subject", p->subject, (char *)NULL);
  return p;
fail:
  hubd_push_free(p);
  return NULL;
}

int hubd_push_set(hubd_push *p, const hubd_push_conf *c, char *err, size_t errlen) {
  hub_wp_policy pol;
  if (policy_from(c->hosts, &pol, err, errlen) || subject_ok(&p->keys, c->subject, err, errlen)) return -1;
  pthread_mutex_lock(&p->mu);
  p->policy = pol;
  snprintf(p->subject, sizeof p->subject, "%s", c->subject);
  pthread_mutex_unlock(&p->mu);
  return 0;
}

void hubd_push_kick(hubd_push *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->kicked = 1;
  pthread_cond_signal(&p->wake);
  pthread_mutex_unlock(&p->mu);
}

void hubd_push_stop(hubd_push *p) {
  if (!p || !p->started) return;
  pthread_mutex_lock(&p->mu);
  atomic_store(&p->stopping, 1);
  pthread_cond_signal(&p->wake);
  pthread_mutex_unlock(&p->mu);
  pthread_join(p->thread, NULL);
  p->started = 0;
}

void hubd_push_free(hubd_push *p) {
  if (!p) return;
  hubd_push_stop(p);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->wake);
  memset(&p->keys, 0, sizeof p->keys);
  free(p);
}

/* ---- routes -------------------------------------------------------------------------------------- */

static char *err_json(const char *code, const char *field, const char *msg) {
  cJSON *r = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(r, "error");
  char *out;
  cJSON_AddStringToObject(e, "code", code);
  cJSON_AddStringToObject(e, "message", msg);
  if (field) cJSON_AddStringToObject(e, "field", field);
  out = cJSON_PrintUnformatted(r);
  cJSON_Delete(r);
  return out;
}

int hubd_push_route_key(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  (void)arg, (void)ud, (void)body, (void)len;
  if (!api->push) {
    *out = err_json("unavailable", NULL, "Web Push is not configured");
    return 503;
  }
  *out = hub__printf("{\"vapid_public_key\":\"%s\"}", api->push->pub);
  return 200;
}

/* The core's push_subscribe request for a PushSubscription.toJSON() body, after the checks;
 * NULL with *out set (an error answer) when refused. */
static cJSON *subscribe_req(hubd_push *p, const cJSON *b, char **out) {
  const cJSON *keys = cJSON_GetObjectItemCaseSensitive(b, "keys"), *tz = cJSON_GetObjectItemCaseSensitive(b, "tz_offset_min");
  const char *endpoint = str_of(b, "endpoint"), *p256dh = str_of(keys, "p256dh"), *auth = str_of(keys, "auth");
  hub_wp_subscription s;
  hub_wp_policy pol;
  char err[HUB_WP_ERR] = "";
  cJSON *req;
  pthread_mutex_lock(&p->mu);
  pol = p->policy;
  pthread_mutex_unlock(&p->mu);
  if (endpoint_allowed(&pol, endpoint, err, sizeof err) ||
      hub_wp_subscription_parse(&s, endpoint, p256dh, auth, err, sizeof err)) {
    hubd_log(HUBD_LOG_WARN, "push_subscribe_refused", "message", err, (char *)NULL);
    *out = err_json("bad_request", "endpoint", err);
    return NULL;
  }
  req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "cmd", "push_subscribe");
  cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
  cJSON_AddStringToObject(req, "endpoint", endpoint);
  cJSON_AddStringToObject(req, "p256dh", p256dh);
  cJSON_AddStringToObject(req, "auth", auth);
  if (cJSON_IsNumber(tz)) cJSON_AddNumberToObject(req, "tz_offset_min", (double)hub__num_clamp(tz->valuedouble, -1440, 1440));
  if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(b, "device"))) cJSON_AddStringToObject(req, "device", str_of(b, "device"));
  return req;
}

/* Runs req (a core command, freed) on the writer; the answer and its status. */
static int writer_answer(hubd_api *api, cJSON *req, char **out) {
  char *in = cJSON_PrintUnformatted(req);
  cJSON_Delete(req);
  *out = in ? hubd_writer_call(api->writer, in, strlen(in)) : NULL;
  cJSON_free(in);
  return hubd_status_of(*out);
}

int hubd_push_route_subscribe(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  cJSON *b = cJSON_ParseWithLength(body, len), *req;
  int status = 400;
  (void)arg, (void)ud;
  if (!api->push) {
    *out = err_json("unavailable", NULL, "Web Push is not configured");
    status = 503;
  } else if (!cJSON_IsObject(b)) {
    *out = err_json("bad_json", NULL, "the body must be a PushSubscription as JSON: {endpoint, keys:{p256dh, auth}}");
  } else if ((req = subscribe_req(api->push, b, out))) {
    hub__url u;
    status = writer_answer(api, req, out);
    if (status == 200 && hub__url_parse(str_of(b, "endpoint"), &u) == 0)
      hubd_log(HUBD_LOG_INFO, "push_subscribed", "host", u.host, (char *)NULL);
  }
  cJSON_Delete(b);
  return status;
}

int hubd_push_route_unsubscribe(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  cJSON *b = cJSON_ParseWithLength(body, len), *req;
  (void)arg, (void)ud;
  if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(b, "endpoint"))) {
    cJSON_Delete(b);
    *out = err_json("bad_json", "endpoint", "the body must be {\"endpoint\": the subscription's endpoint}");
    return 400;
  }
  req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "cmd", "push_unsubscribe");
  cJSON_AddStringToObject(req, "endpoint", str_of(b, "endpoint"));
  cJSON_Delete(b);
  return writer_answer(api, req, out);
}

int hubd_push_route_status(hubd_api *api, hubd_arg_fn arg, void *ud, const char *body, size_t len, char **out) {
  static const char cmd[] = "{\"cmd\":\"push_subscriptions\"}";
  hubd_push *p = api->push;
  char *res;
  cJSON *r, *d;
  (void)arg, (void)ud, (void)body, (void)len;
  if (!p) {
    *out = err_json("unavailable", NULL, "Web Push is not configured");
    return 503;
  }
  res = hubd_readers_call(api->readers, cmd, strlen(cmd));
  r = res && hubd_status_of(res) == 200 ? cJSON_Parse(res) : NULL;
  if (!r) {
    *out = res;
    return hubd_status_of(res);
  }
  hub_free(res);
  d = cJSON_AddObjectToObject(r, "driver");
  cJSON_AddStringToObject(d, "vapid_public_key", p->pub);
  pthread_mutex_lock(&p->mu);
  cJSON_AddStringToObject(d, "subject", p->subject);
  cJSON_AddBoolToObject(d, "loopback_double", p->policy.allow_loopback_http);
  cJSON_AddNumberToObject(d, "rounds", (double)p->rounds);
  cJSON_AddNumberToObject(d, "retry_rounds", (double)p->retry_rounds);
  cJSON_AddNumberToObject(d, "delivered", (double)p->delivered_total);
  if (p->next_at > 0) cJSON_AddNumberToObject(d, "next_at", (double)p->next_at);
  else cJSON_AddNullToObject(d, "next_at");
  hub__put(d, "last_round", cJSON_Parse(p->last));
  hub__put(d, "last_full_round", cJSON_Parse(p->last_full));
  pthread_mutex_unlock(&p->mu);
  *out = cJSON_PrintUnformatted(r);
  cJSON_Delete(r);
  return *out ? 200 : 503;
}
