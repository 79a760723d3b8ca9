/*
 * sync_drive.c — see sync_drive.h: the sync scenario of fuzz target "sync" and its recorder
 * (test layer). Decoding and recording share one code path: every choice goes through
 * take_u8/take_u16/take_str, which read the input or, with a recorder, append the recorded
 * value, so a recorded input decodes to the same answers.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sync_drive.h"

#define PAGINATE_REPO "octokit-fixture-org/tmp-scenario-paginate-issues-20220719043836917-izyoe"
#define T0 1763900000000LL /* 2025-11-23, as the other tests */
#define MAX_STEPS 3000     /* sync_next calls per run */

const char *const fz_header_names[FZ_NHDR] = {
    "link", "etag", "last-modified", "retry-after", "x-ratelimit-remaining", "x-ratelimit-reset",
    "x-ratelimit-limit", "x-ratelimit-resource", "x-poll-interval", "ratelimit-remaining",
    "ratelimit-reset", "ratelimit-limit", "content-type", "x-ratelimit-used", "location",
    "Link" /* a second spelling: which one wins? */};

static const int statuses[] = {200, 304, 404, 401, 403, 429, 500, 502, 503, 408, 410, 422,
                               201, 204, 299, 301, 302, 400, 0,   100, 199, 600, 999, -1};
#define NST ((unsigned)(sizeof statuses / sizeof statuses[0]))
#define K_RAW NST
#define K_NETERR (NST + 1)
#define K_LITERAL (NST + 2)
#define K_TOOLARGE (NST + 3)
/* status numbers no real server sends, as JSON literals */
static const char *const literals[] = {"1e300", "-1e300", "2147483648", "-2147483649", "200.5",
                                       "9.3e18", "1e999", "-0", "304.0000001", "4e9"};
#define NLIT ((unsigned)(sizeof literals / sizeof literals[0]))

typedef struct {
  fz_in *in;
  fz_recorder *rec;
  hub *h;
  const char *token;
  int64_t now;
  long requests;
} drv;

/* ---- choices ---------------------------------------------------------------------------- */

/* A recorder past its max_answers acts as an exhausted input: zeros, empty strings. */
static int rec_done(const drv *d) {
  return d->rec && d->rec->max_answers && d->rec->answers >= d->rec->max_answers;
}

static unsigned take_u8(drv *d, unsigned v) {
  if (rec_done(d)) return 0;
  if (d->rec) {
    unsigned char c = (unsigned char)v;
    fz_add(&d->rec->out, &c, 1);
    return c;
  }
  return fz_front_u8(d->in);
}

static unsigned take_u16(drv *d, unsigned v) {
  unsigned lo = take_u8(d, v & 255);
  return lo | take_u8(d, v >> 8 & 255) << 8;
}

/* A string: decoded, or (recording) s[0..n) cut to max, written escaped with a terminator. */
static char *take_str(drv *d, const char *s, size_t n, size_t max, size_t *len) {
  char *r;
  size_t i;
  if (!d->rec) return fz_str(d->in, max, len);
  if (rec_done(d)) n = max = 0;
  if (n > max) n = max;
  for (i = 0; i < n; i++) {
    fz_add(&d->rec->out, &s[i], 1);
    if (s[i] == '\\') fz_add(&d->rec->out, "\\", 1);
  }
  if (n < max) fz_add(&d->rec->out, "\\;", 2); /* (max 0: an exhausted recorder writes nothing) */
  r = malloc(n + 1);
  if (!r) abort();
  if (n) memcpy(r, s, n);
  r[n] = 0;
  *len = n;
  return r;
}

void fz_answer_free(fz_answer *a) {
  int i;
  for (i = 0; i < FZ_NHDR; i++) free(a->hv[i]);
  free(a->body);
  memset(a, 0, sizeof *a);
}

/* The kind byte that decodes to a recorded answer. */
static unsigned kind_of(const fz_answer *a) {
  unsigned i;
  if (a->kind == FZ_A_NETERR) return K_NETERR;
  if (a->kind == FZ_A_LITERAL) return K_LITERAL;
  if (a->kind == FZ_A_TOOLARGE) return K_TOOLARGE;
  for (i = 0; i < NST; i++)
    if (statuses[i] == a->status) return i;
  return K_RAW;
}

/* The answer to one planned request, decoded or recorded. */
static void get_answer(drv *d, const char *url, const cJSON *req_headers, fz_answer *a) {
  fz_answer rv;
  unsigned k, i;
  memset(a, 0, sizeof *a);
  memset(&rv, 0, sizeof rv);
  if ((!d->rec && fz_empty(d->in)) || rec_done(d)) { /* out of input: nothing more to say */
    a->kind = FZ_A_STATUS;
    a->status = 404;
    return;
  }
  if (d->rec) d->rec->fn(d->rec->ud, url, req_headers, &rv);
  k = take_u8(d, kind_of(&rv)) & 31;
  a->kind = FZ_A_STATUS;
  a->status = 200;
  if (k < NST) {
    a->status = statuses[k];
  } else if (k == K_RAW) {
    a->status = (int)take_u16(d, (unsigned)rv.status & 0xffff);
  } else if (k == K_NETERR) {
    a->kind = FZ_A_NETERR;
  } else if (k == K_LITERAL) {
    a->kind = FZ_A_LITERAL;
    a->literal = take_u8(d, rv.literal) % NLIT;
  } else if (k == K_TOOLARGE) {
    a->kind = FZ_A_TOOLARGE;
  }
  a->mask = take_u16(d, rv.mask);
  for (i = 0; i < FZ_NHDR; i++)
    if (a->mask >> i & 1) a->hv[i] = take_str(d, rv.hv[i], rv.hl[i], FZ_HDR_MAX, &a->hl[i]);
  a->body = take_str(d, rv.body, rv.blen, FZ_BODY_MAX, &a->blen);
  fz_answer_free(&rv);
  if (d->rec) d->rec->answers++;
}

/* ---- the scenario ----------------------------------------------------------------------- */

static cJSON *call(drv *d, const fz_buf *b) { return fz_call(d->h, b->p, b->len, d->token, FZ_API); }

static cJSON *callf(drv *d, const char *fmt, long long v) {
  fz_buf b = {0};
  cJSON *r;
  fz_addf(&b, fmt, v);
  r = call(d, &b);
  fz_buf_free(&b);
  return r;
}

/* Feeds the answer to the planned request r. */
static void answer(drv *d, const cJSON *r) {
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
  const cJSON *url = cJSON_GetObjectItemCaseSensitive(r, "url");
  fz_answer a;
  fz_buf b = {0};
  unsigned i;
  get_answer(d, cJSON_IsString(url) ? url->valuestring : "", cJSON_GetObjectItemCaseSensitive(r, "headers"), &a);
  d->now += 5;
  fz_addf(&b, "{\"cmd\":\"sync_feed\",\"id\":%.17g,\"now\":%lld,", cJSON_IsNumber(id) ? id->valuedouble : -1.0,
          (long long)d->now);
  if (a.kind == FZ_A_NETERR) {
    fz_adds(&b, "\"error\":");
    fz_add_json_str(&b, a.body, a.blen);
  } else {
    if (a.kind == FZ_A_LITERAL) fz_addf(&b, "\"status\":%s,", literals[a.literal]);
    else fz_addf(&b, "\"status\":%d,", a.status);
    if (a.kind == FZ_A_TOOLARGE) fz_adds(&b, "\"body_too_large\":true,");
    fz_adds(&b, "\"headers\":{");
    for (i = 0; i < FZ_NHDR; i++) {
      if (!(a.mask >> i & 1)) continue;
      if (b.p[b.len - 1] != '{') fz_adds(&b, ",");
      fz_add_json_str(&b, fz_header_names[i], strlen(fz_header_names[i]));
      fz_adds(&b, ":");
      fz_add_json_str(&b, a.hv[i], a.hl[i]);
    }
    fz_adds(&b, "},\"body\":");
    fz_add_json_str(&b, a.body ? a.body : "", a.blen);
  }
  fz_adds(&b, "}");
  cJSON_Delete(call(d, &b));
  fz_buf_free(&b);
  fz_answer_free(&a);
}

/* One sync run; aborts it when it does not end within the step or request budget. */
static void run_once(drv *d) {
  cJSON *res = callf(d, "{\"cmd\":\"sync_start\",\"now\":%lld}", (long long)d->now);
  int steps = 0, done = 0;
  if (cJSON_GetObjectItemCaseSensitive(res, "error")) {
    cJSON_Delete(res);
    return;
  }
  cJSON_Delete(res);
  while (!done && steps++ < MAX_STEPS && d->requests < FZ_MAX_REQUESTS) {
    const cJSON *fetch, *wait, *r;
    res = callf(d, "{\"cmd\":\"sync_next\",\"now\":%lld}", (long long)d->now);
    fetch = cJSON_GetObjectItemCaseSensitive(res, "fetch");
    wait = cJSON_GetObjectItemCaseSensitive(res, "wait_until");
    if (cJSON_GetObjectItemCaseSensitive(res, "error")) {
      cJSON_Delete(res);
      break;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "done"))) {
      done = 1;
    } else if (cJSON_GetArraySize(fetch) == 0) {
      /* a driver waits as told; a wait JSON cannot state exactly ends the run */
      if (cJSON_IsNumber(wait) && wait->valuedouble > (double)d->now && wait->valuedouble < 9007199254740992.0)
        d->now = (int64_t)wait->valuedouble;
      else if (cJSON_IsNumber(wait) && wait->valuedouble >= 9007199254740992.0)
        steps = MAX_STEPS;
      else
        d->now += 1;
    } else {
      cJSON_ArrayForEach(r, fetch) {
        d->requests++;
        answer(d, r);
      }
    }
    cJSON_Delete(res);
  }
  if (!done) cJSON_Delete(callf(d, "{\"cmd\":\"sync_abort\",\"reason\":\"fuzz budget %lld\"}", (long long)steps));
}

/* The read-only commands, each checked by fz_call; card bodies checked as markdown trees. */
static void read_back(drv *d) {
  static const char *const ro[] = {"{\"cmd\":\"stats\"}", "{\"cmd\":\"last_run\"}", "{\"cmd\":\"tip_stats\"}",
                                   "{\"cmd\":\"settings\"}", "{\"cmd\":\"gfi_repos\"}"};
  static const char *const from[] = {"github", "tangled", "gfi"};
  cJSON *cards, *c;
  size_t i;
  int n = 0;
  for (i = 0; i < sizeof ro / sizeof ro[0]; i++) {
    fz_buf b = {0};
    cJSON *r;
    fz_adds(&b, ro[i]);
    r = call(d, &b);
    if (i < 2 && getenv("FZ_VERBOSE")) { /* stats and the last run, to see what an input does */
      char *t = cJSON_PrintUnformatted(r);
      fprintf(stderr, "fz: %ld requests; %s\n", d->requests, t ? t : "?");
      cJSON_free(t);
    }
    cJSON_Delete(r);
    fz_buf_free(&b);
  }
  for (i = 0; i < sizeof from / sizeof from[0]; i++) {
    fz_buf b = {0};
    fz_addf(&b, "{\"cmd\":\"cards\",\"now\":%lld,\"from\":\"%s\"}", (long long)d->now, from[i]);
    cJSON_Delete(call(d, &b));
    fz_buf_free(&b);
  }
  cards = callf(d, "{\"cmd\":\"cards\",\"now\":%lld,\"limit\":200}", (long long)d->now);
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cards, "cards")) {
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(c, "key");
    fz_buf b = {0};
    cJSON *card;
    if (!cJSON_IsString(key) || n++ >= 12) continue;
    fz_addf(&b, "{\"cmd\":\"card\",\"now\":%lld,\"key\":", (long long)d->now);
    fz_add_json_str(&b, key->valuestring, strlen(key->valuestring));
    fz_adds(&b, "}");
    card = call(d, &b);
    if (!cJSON_GetObjectItemCaseSensitive(card, "error"))
      fz_check_ast(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(card, "card"), "body_ast"));
    cJSON_Delete(card);
    fz_buf_free(&b);
  }
  cJSON_Delete(cards);
}

void fz_sync_drive(fz_in *in, fz_recorder *rec, int check_token) {
  drv d;
  fz_buf b = {0};
  unsigned ps;
  int run;
  cJSON *res;
  memset(&d, 0, sizeof d);
  d.in = in;
  d.rec = rec;
  d.token = check_token ? FZ_TOKEN : NULL;
  d.now = T0;
  d.h = fz_open();
  ps = take_u8(&d, rec ? rec->page_size : 0);
  fz_adds(&b, "{\"cmd\":\"settings\",\"set\":{\"github_token\":\"" FZ_TOKEN "\",\"github_api\":\"" FZ_API "\","
              "\"notifications\":true,\"search\":true,"
              "\"repos\":[\"" PAGINATE_REPO "\",\"octocat/Hello-World\"],"
              "\"tangled_handle\":\"alice.test\",\"atproto_resolver\":\"" FZ_TG "/resolver\","
              "\"atproto_plc\":\"" FZ_TG "/plc\",\"tangled_backlinks\":\"" FZ_TG "/constellation\","
              "\"tangled_repos\":[\"carol.test/widgets\"],"
              "\"gfi_awesome_url\":\"" FZ_LISTS "/hub-tests/awesome-small/main/data.json\","
              "\"gfi_query\":\"label:\\\"good first issue\\\" language:C is:open no:assignee\","
              "\"gfi_repo_limit\":50");
  if (ps) fz_addf(&b, ",\"page_size\":%u", 1 + (ps - 1) % 100); /* the setting's range, 1 to 100 */
  fz_adds(&b, "}}");
  res = call(&d, &b);
  if (cJSON_GetObjectItemCaseSensitive(res, "error")) fz_fail("the scenario's settings were refused");
  cJSON_Delete(res);
  fz_buf_free(&b);
  for (run = 0; run < FZ_RUNS; run++) {
    if (run > 0) {
      if (!(take_u8(&d, rec && run < rec->runs ? 1 : 0) & 1)) break;
      d.now += (int64_t)take_u8(&d, 7) * 600000 + 1000;
    }
    run_once(&d);
  }
  read_back(&d);
  hub_close(d.h);
}

void fz_recorder_bytes(fz_recorder *rec, fz_buf *out) {
  fz_add(out, rec->out.p ? rec->out.p : "", rec->out.len);
  fz_buf_free(&rec->out);
}
