/*
 * bench.c — hub's benchmarks, one program built natively and to wasm (run by node), so the
 * two are measured side by side by tests/run_bench.sh. Prints "name value unit" lines.
 *
 *   ingest   items/s through the real path: sync_feed of 100-item pages (JSON parse, type
 *            checks, content hash, upsert in one transaction per page), 20,000 items
 *   rank_c   100k items: read rows from SQLite, score each in C, keep the top 200 (heap)
 *   rank_sql 100k items: the same ranking as one SQL query (the seed's dbt way)
 *   cards    100k items: hub's cards command (stored rank, index scan, 200 cards as JSON)
 *   bench DIR  only the browser benchmark's scenario in DIR, in-process (bench_scenario below)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "testutil.h"

/* "CPU time": the process's natively; in wasm under node (emscripten.mk defines
 * HUB_BENCH_NODE_CPU) node's own count, from tests/bench_clock.js. */
#ifdef HUB_BENCH_NODE_CPU
double hub_bench_cpu_us(void);
#endif

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static hub *open_db(const char *path) {
  hub *h = NULL;
  char err[256];
  remove(path);
  if (hub_open(path, NULL, &h, err, sizeof err)) {
    fprintf(stderr, "hub_open: %s\n", err);
    exit(1);
  }
  return h;
}

static const char *labelsets[] = {"[]", "[{\"name\":\"bug\"}]", "[{\"name\":\"enhancement\"}]",
                                  "[{\"name\":\"bug\"},{\"name\":\"help wanted\"}]", "[{\"name\":\"docs\"}]"};

/* One page of n issue objects shaped like GitHub's, numbers from first. */
static char *make_page(int first, int n) {
  hub__buf b;
  int i;
  hub__buf_init(&b, 64u * 1024u * 1024u);
  hub__buf_str(&b, "[");
  for (i = 0; i < n; i++) {
    char item[2048];
    int num = first + i;
    snprintf(item, sizeof item,
             "%s{\"url\":\"https://api.github.com/repos/org%d/repo%d/issues/%d\","
             "\"html_url\":\"https://github.com/org%d/repo%d/issues/%d\",\"id\":%d,\"number\":%d,"
             "\"title\":\"Crash when parsing config file number %d with unicode \\u00e9 keys\","
             "\"user\":{\"login\":\"user%d\",\"id\":%d,\"type\":\"User\"},\"labels\":%s,"
             "\"state\":\"open\",\"locked\":false,\"assignees\":[],\"comments\":%d,"
             "\"created_at\":\"2025-%02d-%02dT10:00:00Z\",\"updated_at\":\"2025-%02d-%02dT12:30:00Z\","
             "\"author_association\":\"CONTRIBUTOR\",\"reactions\":{\"total_count\":%d,\"+1\":%d},"
             "\"body\":\"Steps to reproduce:\\n1. create a config\\n2. run the tool\\n\\nExpected: no crash. "
             "Actual: segfault in parser.c line %d.\"}",
             i ? "," : "", num % 50, num % 7, num, num % 50, num % 7, num, num, num, num, num % 97, num % 97,
             labelsets[num % 5], num % 13, 1 + num % 12, 1 + num % 28, 1 + num % 12, 1 + num % 28,
             num % 5, num % 5, num);
    hub__buf_str(&b, item);
  }
  hub__buf_str(&b, "]");
  return b.p;
}

static void bench_ingest(void) {
  hub *h = open_db("build/out/bench-ingest.db");
  const int pages = 200, per = 100;
  int p;
  double t0, total = 0;
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_token\":\"t\",\"notifications\":false,"
                          "\"search\":false,\"repos\":[\"org/bench\"]}}"));
  cJSON_Delete(tu_call(h, "{\"cmd\":\"sync_start\",\"now\":1760000000000}"));
  for (p = 0; p < pages; p++) {
    char *page = make_page(p * per + 1, per), *feed, *out;
    cJSON *f = cJSON_CreateObject(), *hd, *nx;
    nx = tu_call(h, "{\"cmd\":\"sync_next\",\"now\":1760000000000}");
    cJSON_AddStringToObject(f, "cmd", "sync_feed");
    cJSON_AddNumberToObject(f, "id", tu_num(nx, "fetch.0.id"));
    cJSON_AddNumberToObject(f, "now", 1760000000000.0);
    cJSON_AddNumberToObject(f, "status", 200);
    hd = cJSON_AddObjectToObject(f, "headers");
    if (p + 1 < pages) {
      char link[200];
      snprintf(link, sizeof link, "<https://api.github.com/repositories/1/issues?per_page=100&page=%d>; rel=\"next\"", p + 2);
      cJSON_AddStringToObject(hd, "link", link);
    }
    cJSON_AddStringToObject(f, "body", page);
    feed = cJSON_PrintUnformatted(f);
    t0 = now_ms();
    out = hub_call(h, feed);
    total += now_ms() - t0;
    hub_free(out);
    cJSON_free(feed);
    cJSON_Delete(f);
    cJSON_Delete(nx);
    hub_free(page);
  }
  printf("ingest_items %d count\n", pages * per);
  printf("ingest_rate %.0f items/s\n", pages * per / (total / 1000.0));
  /* unchanged re-ingest: the same pages again, nothing written */
  hub_close(h);
}

/* ---- ranking 100k ---------------------------------------------------------------------- */

typedef struct { double s; int64_t id; } scored;

static void heap_push(scored *hp, int *n, int cap, scored v) {
  int i;
  if (*n < cap) {
    i = (*n)++;
    while (i && hp[(i - 1) / 2].s > v.s) { hp[i] = hp[(i - 1) / 2]; i = (i - 1) / 2; }
    hp[i] = v;
  } else if (v.s > hp[0].s) {
    int c;
    i = 0;
    for (;;) {
      c = 2 * i + 1;
      if (c >= cap) break;
      if (c + 1 < cap && hp[c + 1].s < hp[c].s) c++;
      if (hp[c].s >= v.s) break;
      hp[i] = hp[c];
      i = c;
    }
    hp[i] = v;
  }
}

static void bench_rank(void) {
  hub *h = open_db("build/out/bench-rank.db");
  const int N = 100000;
  int i, reps = 5, r;
  double t0, t_c = 1e30, t_sql = 1e30, t_cards = 1e30;
  hub__item it;
  hub__upsert_result res;
  const hub__weights *w;
  int64_t now_s = 1765000000;
  char key[64], title[64], labels[64];
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_user\":\"user7\"}}"));
  hub__db_begin(h);
  for (i = 0; i < N; i++) {
    memset(&it, 0, sizeof it);
    snprintf(key, sizeof key, "github.com/org%d/repo%d#%d", i % 300, i % 11, i);
    snprintf(title, sizeof title, "Issue %d", i);
    snprintf(labels, sizeof labels, "%s", i % 4 == 0 ? "[\"bug\"]" : (i % 4 == 1 ? "[\"docs\"]" : "[]"));
    it.has = HUB_F_TITLE | HUB_F_STATE | HUB_F_AUTHOR | HUB_F_LABELS | HUB_F_COMMENTS |
             HUB_F_REACTIONS | HUB_F_UPDATED | HUB_F_CREATED;
    it.key = key;
    it.title = title;
    it.state = i % 10 == 0 ? "closed" : "open";
    snprintf(title + 32, 32, "user%d", i % 101);
    it.author = title + 32;
    it.labels = labels;
    it.comments = i % 23;
    it.reactions = i % 7;
    it.created_at = now_s - (int64_t)(i % 400) * 86400 - 5000;
    it.updated_at = now_s - (int64_t)((i * 7919) % 365) * 86400;
    it.reason = HUB_R_authored;
    hub__items_put(h, &it, now_s, &res, NULL);
  }
  hub__db_commit(h);
  w = hub__weights_get(h);
  for (r = 0; r < reps; r++) {
    /* C: stream rows, score in C, heap of 200 */
    sqlite3_stmt *st = NULL;
    scored heap[HUB_CARDS_MAX];
    int n = 0;
    double dt;
    t0 = now_ms();
    sqlite3_prepare_v2(h->db, "SELECT id,comments,reactions,labels,author,updated_at FROM items WHERE state='open'", -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
      hub__factors f;
      hub__score_in in;
      scored v;
      memset(&in, 0, sizeof in);
      in.comments = sqlite3_column_int64(st, 1);
      in.reactions = sqlite3_column_int64(st, 2);
      in.labels = (const char *)sqlite3_column_text(st, 3);
      in.author = (const char *)sqlite3_column_text(st, 4);
      in.updated_s = sqlite3_column_int64(st, 5);
      hub__score_explain(w, &in, now_s, &f);
      v.s = f.score;
      v.id = sqlite3_column_int64(st, 0);
      heap_push(heap, &n, HUB_CARDS_MAX, v);
    }
    sqlite3_finalize(st);
    dt = now_ms() - t0;
    if (dt < t_c) t_c = dt;
    /* SQL: the same formula in one query */
    t0 = now_ms();
    sqlite3_prepare_v2(h->db,
                       "SELECT id, exp(-((?1 - updated_at) / 86400.0) / 30.0)"
                       " * (1 + ln(1 + comments + reactions))"
                       " * (CASE WHEN labels LIKE '%\"bug\"%' THEN 1.5 ELSE 1 END)"
                       " * (CASE WHEN author = 'user7' THEN 2.0 ELSE 1.0 END) AS score"
                       " FROM items WHERE state='open' ORDER BY score DESC LIMIT 200",
                       -1, &st, NULL);
    sqlite3_bind_int64(st, 1, now_s);
    n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) n++;
    sqlite3_finalize(st);
    dt = now_ms() - t0;
    if (dt < t_sql) t_sql = dt;
    /* hub's own cards command: stored rank + index */
    {
      char req[80], *out;
      snprintf(req, sizeof req, "{\"cmd\":\"cards\",\"now\":%lld000}", (long long)now_s);
      t0 = now_ms();
      out = hub_call(h, req);
      dt = now_ms() - t0;
      hub_free(out);
      if (dt < t_cards) t_cards = dt;
    }
  }
  printf("rank_items %d count\n", N);
  printf("rank_c %.2f ms\n", t_c);
  printf("rank_sql %.2f ms\n", t_sql);
  printf("cards %.2f ms\n", t_cards);
  hub_close(h);
}

/* ---- the browser benchmark's scenario, in-process ---------------------------------------------
 * The pages tests/browser/bench.mjs syncs from the fake GitHub (tests/bench_scenario.mjs: 50
 * pages of 100 issues), replayed here without a network: the core's time to take them in,
 * with the bodies fed as bytes (hub_feed) and as JSON strings (hub_call; the driver's wrapping
 * timed apart), and the share of that a bare cJSON parse of the same bytes takes. Same data
 * as the browser's, so their ratio is the core's, network aside. Best of three runs; the core's
 * time also as CPU time (the wall clock of a shared machine counts others' work too). */

typedef struct {
  double core_ms, core_cpu_ms, wrap_ms, parse_ms;
  long items, answers;
  size_t bytes;
} scen_result;

/* The process's CPU time in ms (the wall clock also counts other work on a shared machine). */
static double cpu_ms(void) {
#ifdef HUB_BENCH_NODE_CPU
  return hub_bench_cpu_us() / 1000.0;
#else
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
#endif
}

/* One answer fed as bytes or as a JSON request; adds its times to res. */
static void scen_feed(hub *h, int64_t id, const replay_response *resp, int bytes, scen_result *res) {
  char *out, *req;
  double t0, t1;
  cJSON *j;
  if (bytes) {
    req = tu_feed_request(id, 1760000000000LL, resp, NULL); /* the request part only: */
    j = cJSON_Parse(req);
    cJSON_DeleteItemFromObject(j, "body");
    free(req);
    req = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    t0 = now_ms();
    t1 = cpu_ms();
    out = hub_feed(h, req, strlen(req), resp->body, resp->body_len);
    res->core_cpu_ms += cpu_ms() - t1;
    res->core_ms += now_ms() - t0;
    cJSON_free(req);
  } else {
    t0 = now_ms();
    req = tu_feed_request(id, 1760000000000LL, resp, NULL); /* wraps the body into a JSON string */
    t1 = now_ms();
    out = hub_call(h, req);
    res->core_ms += now_ms() - t1;
    res->wrap_ms += t1 - t0;
    free(req);
  }
  hub_free(out);
  t0 = now_ms(); /* the same bytes through a bare cJSON parse */
  j = cJSON_ParseWithLength(resp->body, resp->body_len);
  res->parse_ms += now_ms() - t0;
  cJSON_Delete(j);
  res->bytes += resp->body_len;
  res->answers++;
}

static int scen_run(const char *dir, int bytes, scen_result *res) {
  const char *dirs[1];
  char err[256];
  replay *r;
  hub *h = open_db("build/out/bench-scenario.db");
  int guard = 0;
  dirs[0] = dir;
  memset(res, 0, sizeof *res);
  r = replay_load(dirs, 1, "https://api.github.com", err, sizeof err);
  if (!r) {
    fprintf(stderr, "bench: %s: %s\n", dir, err);
    hub_close(h);
    return -1;
  }
  cJSON_Delete(tu_call(h, "{\"cmd\":\"settings\",\"set\":{\"github_token\":\"t\",\"github_user\":\"bench\","
                          "\"notifications\":false,\"search\":false,\"page_size\":100,\"repos\":[\"bench/big\"]}}"));
  cJSON_Delete(tu_call(h, "{\"cmd\":\"sync_start\",\"now\":1760000000000}"));
  while (guard++ < 10000) {
    cJSON *nx = tu_call(h, "{\"cmd\":\"sync_next\",\"now\":1760000000000}");
    const char *url = tu_str(nx, "fetch.0.url");
    replay_response resp;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(nx, "done")) || !url) {
      res->items = (long)tu_num(nx, "run.new");
      cJSON_Delete(nx);
      break;
    }
    memset(&resp, 0, sizeof resp);
    if (replay_answer(r, "GET", url, NULL, 0, &resp) == 0) scen_feed(h, (int64_t)tu_num(nx, "fetch.0.id"), &resp, bytes, res);
    replay_response_free(&resp);
    cJSON_Delete(nx);
  }
  replay_free(r);
  hub_close(h);
  return 0;
}

/* The smaller of each time of a and b into a (best of several runs: a shared machine adds
 * its own noise to the wall clock, never takes any away). */
static void scen_best(scen_result *a, const scen_result *b) {
  if (b->core_ms < a->core_ms) a->core_ms = b->core_ms;
  if (b->core_cpu_ms < a->core_cpu_ms) a->core_cpu_ms = b->core_cpu_ms;
  if (b->wrap_ms < a->wrap_ms) a->wrap_ms = b->wrap_ms;
  if (b->parse_ms < a->parse_ms) a->parse_ms = b->parse_ms;
}

static void bench_scenario(const char *dir) {
  scen_result b, j, again;
  int k;
  if (scen_run(dir, 1, &b) || scen_run(dir, 0, &j)) return;
  for (k = 0; k < 2; k++) { /* best of three */
    if (scen_run(dir, 1, &again) == 0) scen_best(&b, &again);
    if (scen_run(dir, 0, &again) == 0) scen_best(&j, &again);
  }
  printf("scen_items %ld count\n", b.items);
  printf("scen_answers %ld count\n", b.answers);
  printf("scen_bytes %zu bytes\n", b.bytes);
  printf("scen_core_bytes_ms %.1f ms\n", b.core_ms);
  printf("scen_core_bytes_cpu_ms %.1f ms\n", b.core_cpu_ms);
  printf("scen_core_json_ms %.1f ms\n", j.core_ms);
  printf("scen_wrap_json_ms %.1f ms\n", j.wrap_ms);
  printf("scen_parse_ms %.1f ms\n", b.parse_ms);
}

int main(int argc, char **argv) {
  if (argc > 1) { /* the browser benchmark's scenario only */
    bench_scenario(argv[1]);
    return 0;
  }
  bench_ingest();
  bench_rank();
  return 0;
}
