/*
 * commands_test.c — every command of the JSON API (src/api.c's dispatcher) against one
 * database, so that every SQL statement the core has is prepared and run by the SQLite the
 * build ships. Built natively (ASan + UBSan) and to wasm (node), where WASM_SQLITE_OPTS omits
 * parts of SQLite: an OMIT that removes something the core uses ("no such function",
 * "near ...: syntax error", a pragma, FILTER, an upsert ...) fails here.
 *
 * A failure is any of: a command answering {"error":...} (every request here is valid); an
 * SQLite error text anywhere in an answer (a sync run lists its sources' errors); any
 * SQLITE_ERROR that SQLite reports to its error log (SQLITE_CONFIG_LOG), which also
 * catches statements whose failure a caller ignores.
 *
 * The commands meta lists are the ones the build has: natively api/commands.def and
 * api/server_commands.def; in wasm (the browser module's command set, "--browser") only the
 * first. Each server command is called where meta lists it; with --browser the test checks
 * that meta lists none of them and that each is refused as unknown.
 *
 * The syncs replay tests/exchanges (demo + gfi + activity for GitHub, tangled for AT Protocol)
 * with every source switched on, three times: everything new, everything unchanged, and a
 * day later when the recordings have moved on (items gone, changed).
 *
 * usage: commands_test OUTDIR [--browser]     (the database is OUTDIR/commands.db)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"

#define T0 1763900000000LL /* 2025-11-23, as the other tests */
#define TANGLED_BASE "https://fake.test"
#define AWESOME_SMALL "https://raw.githubusercontent.com/hub-tests/awesome-small/main/data.json"
#define DAY_MS 86400000LL

/* SQLite error messages that mean a statement could not be prepared or run. */
static const char *const sql_errors[] = {"no such function", "no such table", "no such column",
                                         "syntax error", "SQL logic error", "no such window function",
                                         "not in this build", "unrecognized token", "misuse of",
                                         "wrong number of arguments", "no such collation",
                                         "not supported", "not authorized"};

/* ---- SQLite's error log ------------------------------------------------------------------- */

#ifndef LOG_KEEP
#define LOG_KEEP 8
#endif
static int log_errors;
static char log_first[LOG_KEEP][320];

static void on_sqlite_log(void *ud, int code, const char *msg) {
  (void)ud;
  if (getenv("COMMANDS_VERBOSE")) fprintf(stderr, "sqlite log %d: %s\n", code, msg);
  if ((code & 0xff) != SQLITE_ERROR) return;
  if (log_errors < LOG_KEEP) snprintf(log_first[log_errors], sizeof log_first[0], "%d %s", code, msg);
  log_errors++;
}

/* ---- calls ------------------------------------------------------------------------------- */

static long calls;

/* Names of the commands called (each once), to check that every command meta lists was. */
#define SEEN_MAX 128
static char seen[SEEN_MAX][32];
static size_t nseen;

static void saw(const char *req) {
  const char *c = strstr(req, "\"cmd\":\""), *e;
  size_t i, n;
  if (!c) return;
  c += 7;
  e = strchr(c, '"');
  n = e ? (size_t)(e - c) : 0;
  if (!n || n >= sizeof seen[0]) return;
  for (i = 0; i < nseen; i++)
    if (strlen(seen[i]) == n && strncmp(seen[i], c, n) == 0) return;
  if (nseen < SEEN_MAX) snprintf(seen[nseen++], sizeof seen[0], "%.*s", (int)n, c);
}

static int was_seen(const char *name) {
  size_t i;
  for (i = 0; i < nseen; i++)
    if (strcmp(seen[i], name) == 0) return 1;
  return 0;
}

/* Fails the check named what when the answer is an error or carries an SQL error text. */
static void check_answer(const char *what, const char *text, const cJSON *res) {
  size_t i;
  const char *hit = NULL;
  calls++;
  for (i = 0; i < sizeof sql_errors / sizeof sql_errors[0] && !hit; i++)
    if (strstr(text, sql_errors[i])) hit = sql_errors[i];
  CHECK(!cJSON_GetObjectItemCaseSensitive(res, "error") && !hit, "%s: %s: %.300s", what,
        hit ? "the answer holds an SQL error" : "answered an error", text);
}

/* Runs one command given as a printf format; checks it (above). Returns the parsed answer
 * (caller frees with cJSON_Delete). */
static cJSON *call(hub *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static cJSON *call(hub *h, const char *fmt, ...) {
  va_list ap;
  char req[8192], what[96], *out;
  cJSON *res;
  va_start(ap, fmt);
  vsnprintf(req, sizeof req, fmt, ap);
  va_end(ap);
  saw(req);
  out = hub_call(h, req);
  if (!out) abort();
  res = cJSON_Parse(out);
  if (!res) abort();
  snprintf(what, sizeof what, "%.90s", req);
  check_answer(what, out, res);
  hub_free(out);
  return res;
}

static void run(hub *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run(hub *h, const char *fmt, ...) {
  va_list ap;
  char req[8192];
  va_start(ap, fmt);
  vsnprintf(req, sizeof req, fmt, ap);
  va_end(ap);
  cJSON_Delete(call(h, "%s", req));
}

/* Runs a command that must be refused for a reason of its own (a bad request), not by SQL:
 * its transaction is rolled back. */
static void refused(hub *h, const char *req) {
  char *out = hub_call(h, req);
  cJSON *res;
  const char *code;
  size_t i;
  int sql = 0;
  saw(req);
  if (!out) abort();
  res = cJSON_Parse(out);
  if (!res) abort();
  calls++;
  code = tu_str(res, "error.code");
  for (i = 0; i < sizeof sql_errors / sizeof sql_errors[0]; i++)
    if (strstr(out, sql_errors[i])) sql = 1;
  CHECK(code && strcmp(code, "db") != 0 && !sql, "%.90s: refused, not by SQL: %.300s", req, out);
  cJSON_Delete(res);
  hub_free(out);
}

/* ---- the build's command set ------------------------------------------------------------- */

/* The commands only native programs send (api/server_commands.def). */
static const char *const server_cmds[] = {
#define X(name, fn, writes, when, help) #name,
#include "api/server_commands.def"
#undef X
};

static cJSON *meta_cmds; /* meta's "commands" object, read once at the start */

/* 1 when meta lists command name (this build answers it). */
static int has_cmd(const char *name) { return cJSON_GetObjectItemCaseSensitive(meta_cmds, name) != NULL; }

/* Natively every server command is listed; in the browser's set (browser) none is, and each
 * is refused as an unknown command before any SQL runs. */
static void build_set(hub *h, int browser) {
  size_t i;
  for (i = 0; i < sizeof server_cmds / sizeof server_cmds[0]; i++) {
    char req[96], *out;
    cJSON *res;
    const char *msg;
    if (!browser) {
      CHECK(has_cmd(server_cmds[i]), "native build: meta lists %s", server_cmds[i]);
      continue;
    }
    CHECK(!has_cmd(server_cmds[i]), "browser build: meta does not list %s", server_cmds[i]);
    snprintf(req, sizeof req, "{\"cmd\":\"%s\",\"now\":1}", server_cmds[i]);
    out = hub_call(h, req);
    res = out ? cJSON_Parse(out) : NULL;
    msg = tu_str(res, "error.message");
    CHECK(msg && strstr(msg, "unknown command"), "browser build: %s is an unknown command: %s", server_cmds[i],
          out ? out : "(null)");
    cJSON_Delete(res);
    hub_free(out);
  }
}

/* ---- a sync over the recorded exchanges -------------------------------------------------- */

typedef struct {
  replay *github; /* demo + gfi, base https://api.github.com (raw.githubusercontent.com too) */
  replay *tangled;  /* tangled, base TANGLED_BASE; other hosts as "/host/path" */
} upstreams;

/* Answers one planned request from the recordings. */
static void answer(upstreams *u, const char *url, const cJSON *hobj, replay_response *resp) {
  replay_header hdrs[16];
  size_t nh = 0;
  const cJSON *e;
  char path[4096];
  cJSON_ArrayForEach(e, hobj) {
    if (nh < 16 && cJSON_IsString(e)) {
      hdrs[nh].name = e->string;
      hdrs[nh].value = e->valuestring;
      nh++;
    }
  }
  memset(resp, 0, sizeof *resp);
  if (strncmp(url, "https://api.github.com/", 23) == 0 || strncmp(url, "https://raw.githubusercontent.com/", 34) == 0) {
    if (replay_answer(u->github, "GET", url, hdrs, nh, resp)) abort();
  } else {
    tu_host_path(url, TANGLED_BASE, path, sizeof path);
    if (replay_answer(u->tangled, "GET", path, hdrs, nh, resp)) abort();
  }
}

/* One whole sync through sync_start / sync_next / sync_feed on the simulated clock *now.
 * Returns the finished run (caller frees) or NULL. */
static cJSON *sync_all(hub *h, upstreams *u, int64_t *now) {
  int guard = 0;
  cJSON_Delete(call(h, "{\"cmd\":\"sync_start\",\"now\":%lld}", (long long)*now));
  while (guard++ < 100000) {
    const cJSON *f, *fetch, *wait;
    cJSON *res = call(h, "{\"cmd\":\"sync_next\",\"now\":%lld}", (long long)*now);
    if (cJSON_GetObjectItemCaseSensitive(res, "error")) {
      cJSON_Delete(res);
      return NULL;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "done"))) {
      cJSON *r = cJSON_DetachItemFromObjectCaseSensitive(res, "run");
      cJSON_Delete(res);
      return r;
    }
    fetch = cJSON_GetObjectItemCaseSensitive(res, "fetch");
    wait = cJSON_GetObjectItemCaseSensitive(res, "wait_until");
    if (cJSON_GetArraySize(fetch) == 0 && cJSON_IsNumber(wait)) *now = (int64_t)wait->valuedouble;
    cJSON_ArrayForEach(f, fetch) {
      replay_response resp;
      char *feed, *out;
      cJSON *fr;
      answer(u, tu_str(f, "url"), cJSON_GetObjectItemCaseSensitive(f, "headers"), &resp);
      *now += 5;
      feed = tu_feed_request((int64_t)tu_num(f, "id"), *now, &resp, NULL);
      replay_response_free(&resp);
      saw(feed);
      out = hub_call(h, feed);
      free(feed);
      if (!out) abort();
      fr = cJSON_Parse(out);
      if (!fr) abort();
      check_answer("sync_feed", out, fr);
      cJSON_Delete(fr);
      hub_free(out);
    }
    cJSON_Delete(res);
  }
  return NULL;
}

static void sync_checked(hub *h, upstreams *u, int64_t *now, const char *what) {
  cJSON *r = sync_all(h, u, now);
  char *txt = r ? cJSON_PrintUnformatted(r) : NULL;
  CHECK(r != NULL, "%s: the sync finished", what);
  if (txt) check_answer(what, txt, r);
  if (r && getenv("COMMANDS_VERBOSE")) fprintf(stderr, "%s\n", txt);
  if (r) fprintf(stderr, "%s: %s, %g new, %g updated, %d source errors\n", what, tu_str(r, "status"),
                 tu_num(r, "new"), tu_num(r, "updated"), cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "errors")));
  free(txt);
  cJSON_Delete(r);
}

/* ---- the commands ------------------------------------------------------------------------ */

static const char *const obd_csv =
    ",timestamp,item_id,position,click,propensity_score,user-item_affinity_0,user-item_affinity_1\\n"
    "0,t,0,1,1,0.5,0.25,0.75\\n1,t,1,1,0,0.5,0.5,0.5\\n2,t,0,2,0,0.5,0.125,0.875\\n3,t,1,2,1,0.5,0.625,0.375\\n";

static void empty_database(hub *h) {
  static const char *const from[] = {"all", "github", "tangled", "gfi"};
  size_t i;
  run(h, "{\"cmd\":\"settings\"}");
  run(h, "{\"cmd\":\"stats\"}");
  run(h, "{\"cmd\":\"last_run\"}");
  for (i = 0; i < sizeof from / sizeof from[0]; i++)
    run(h, "{\"cmd\":\"cards\",\"now\":%lld,\"from\":\"%s\"}", T0, from[i]);
  run(h, "{\"cmd\":\"tip\",\"now\":%lld}", T0);
  run(h, "{\"cmd\":\"tip_stats\"}");
  if (has_cmd("tip_eval")) run(h, "{\"cmd\":\"tip_eval\",\"source\":\"log\",\"policy\":\"linucb\"}");
  if (has_cmd("gfi_repos")) run(h, "{\"cmd\":\"gfi_repos\"}");
}

static void gfi_lists(hub *h);

static void settings(hub *h) {
  run(h, "{\"cmd\":\"settings\",\"set\":{\"github_token\":\"demo-token\",\"notifications\":true,\"search\":true,"
         "\"page_size\":100,\"reconcile_hours\":24,\"decay_days\":30,\"engagement_weight\":1,\"user_weight\":2,"
         "\"bug_weight\":1.5,\"label_weights\":{\"bug\":2,\"help wanted\":1.25},\"contributors\":{\"octocat\":2}}}");
  run(h, "{\"cmd\":\"settings\",\"set\":{\"gfi_awesome_url\":\"" AWESOME_SMALL "\","
         "\"gfi_query\":\"label:\\\"good first issue\\\" language:C is:open no:assignee\",\"gfi_repo_limit\":50,"
         "\"gfi_rotate_hours\":24}}");
  run(h, "{\"cmd\":\"settings\",\"set\":{\"tangled_handle\":\"alice.test\",\"atproto_resolver\":\"" TANGLED_BASE
         "/resolver\",\"atproto_plc\":\"" TANGLED_BASE "/plc\",\"tangled_backlinks\":\"" TANGLED_BASE
         "/constellation\",\"tangled_repos\":[\"carol.test/widgets\"],\"atproto_identity_ttl_hours\":24,"
         "\"tangled_poll_minutes\":5}}");
  run(h, "{\"cmd\":\"settings\",\"set\":{\"activity\":true,\"activity_login\":\"octocat\",\"activity_detail_budget\":50}}");
  if (has_cmd("gfi_repos")) gfi_lists(h);
  /* a change that fails half way is rolled back */
  refused(h, "{\"cmd\":\"settings\",\"set\":{\"decay_days\":10,\"no_such_setting\":1}}");
}

/* The good-first-issue repository lists hubd imports (gfi_repos, a server command). */
static void gfi_lists(hub *h) {
  run(h, "{\"cmd\":\"gfi_repos\",\"source\":\"up-for-grabs\",\"now\":%lld,\"repos\":["
         "{\"owner\":\"github-linguist\",\"name\":\"linguist\",\"label\":\"good first issue\",\"tags\":[\"ruby\"]},"
         "{\"owner\":\"octocat\",\"name\":\"Spoon-Knife\",\"label\":\"good first issue\",\"tags\":[\"html\"]}],"
         "\"skipped\":{\"not a GitHub repository (link elsewhere)\":1}}",
      T0);
  /* the same repository from a second list */
  run(h, "{\"cmd\":\"gfi_repos\",\"source\":\"another-list\",\"now\":%lld,\"repos\":["
         "{\"owner\":\"github-linguist\",\"name\":\"linguist\",\"label\":\"good first issue\",\"tags\":[\"ruby\"]}]}",
      T0);
  /* and again with another label (the repository's entry changes) */
  run(h, "{\"cmd\":\"gfi_repos\",\"source\":\"another-list\",\"now\":%lld,\"repos\":["
         "{\"owner\":\"github-linguist\",\"name\":\"linguist\",\"label\":\"help wanted\",\"tags\":[\"ruby\"]}]}",
      T0 + 1000);
  run(h, "{\"cmd\":\"gfi_repos\"}");
}

/* Reads the cards of one route and asks for each card on its own. */
static void cards(hub *h, int64_t now) {
  static const char *const from[] = {"all", "github", "tangled", "gfi"};
  size_t i;
  for (i = 0; i < sizeof from / sizeof from[0]; i++) {
    cJSON *r = call(h, "{\"cmd\":\"cards\",\"now\":%lld,\"from\":\"%s\",\"limit\":50}", (long long)now, from[i]);
    const cJSON *c;
    int n = 0;
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "cards")) > 0, "cards from %s: some", from[i]);
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(r, "cards")) {
      const char *key = tu_str(c, "key");
      if (key && n++ < 3) {
        cJSON *k = cJSON_CreateString(key);
        char *q = cJSON_PrintUnformatted(k);
        run(h, "{\"cmd\":\"card\",\"now\":%lld,\"key\":%s}", (long long)now, q);
        free(q);
        cJSON_Delete(k);
      }
    }
    cJSON_Delete(r);
  }
  run(h, "{\"cmd\":\"stats\"}");
  run(h, "{\"cmd\":\"last_run\"}");
}

static void tips(hub *h, int64_t now) {
  static const char *const reactions[] = {"done", "snooze", "dismiss", "helpful", "not_helpful"};
  static const char *const policies[] = {"linucb", "score_greedy", "random"};
  size_t i;
  run(h, "{\"cmd\":\"tip\",\"now\":%lld,\"debug\":true}", (long long)now);
  for (i = 0; i < 15; i++) {
    cJSON *r = call(h, "{\"cmd\":\"tip\",\"now\":%lld,\"seed\":%zu}", (long long)(now + (int64_t)i * 1000), i + 1);
    long decision = (long)tu_num(r, "decision");
    const char *reaction = reactions[i % 5];
    CHECK(decision > 0, "tip %zu: a decision", i);
    cJSON_Delete(r);
    if (decision <= 0) continue;
    run(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"latency_us\":1500}", decision,
        (long long)(now + (int64_t)i * 1000 + 1));
    if (strcmp(reaction, "snooze") == 0)
      run(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"snooze\",\"snooze_until\":%lld}",
          decision, (long long)(now + (int64_t)i * 1000 + 2), (long long)(now + DAY_MS));
    else
      run(h, "{\"cmd\":\"tip_feedback\",\"decision\":%ld,\"now\":%lld,\"reaction\":\"%s\"}", decision,
          (long long)(now + (int64_t)i * 1000 + 2), reaction);
  }
  run(h, "{\"cmd\":\"tip_stats\",\"recent\":20}");
  run(h, "{\"cmd\":\"tip_policies\"}");
  run(h, "{\"cmd\":\"tip_policies\",\"set\":{\"enabled\":{\"random\":true,\"score_greedy\":true,\"linucb\":true},"
         "\"epsilon\":0.1}}");
  if (!has_cmd("tip_eval")) return; /* the browser's set: no offline evaluation, no simulator */
  for (i = 0; i < sizeof policies / sizeof policies[0]; i++)
    run(h, "{\"cmd\":\"tip_eval\",\"source\":\"log\",\"policy\":\"%s\"}", policies[i]);
  run(h, "{\"cmd\":\"tip_eval\",\"source\":\"obd\",\"policy\":\"uniform\",\"csv\":\"%s\"}", obd_csv);
  run(h, "{\"cmd\":\"tip_eval\",\"source\":\"obd\",\"policy\":\"affinity\",\"csv\":\"%s\"}", obd_csv);
  run(h, "{\"cmd\":\"tip_simulate\",\"steps\":20,\"users\":2,\"candidates\":5,\"seed\":7}");
}

/* Starts a sync and abandons it: sync_abort, and a second sync_start over a running one. */
static void aborts(hub *h, int64_t now) {
  run(h, "{\"cmd\":\"sync_start\",\"now\":%lld}", (long long)now);
  run(h, "{\"cmd\":\"sync_next\",\"now\":%lld}", (long long)now);
  run(h, "{\"cmd\":\"sync_abort\",\"now\":%lld,\"reason\":\"test\"}", (long long)now + 1);
  run(h, "{\"cmd\":\"sync_start\",\"now\":%lld}", (long long)now + 2);
  run(h, "{\"cmd\":\"sync_start\",\"now\":%lld}", (long long)now + 3);
  run(h, "{\"cmd\":\"sync_abort\",\"now\":%lld}", (long long)now + 4);
}

/* The change feed and its import (src/replica/): this database's own feed, both scopes, applied
 * back to it (as if another database had sent it: same stamps, so nothing changes). */
static void replica(hub *h, long long n) {
  static const char *const scopes[] = {"all", "actions"};
  size_t i;
  for (i = 0; i < 2; i++) {
    cJSON *r = call(h, "{\"cmd\":\"changes\",\"now\":%lld,\"limit\":20,\"scope\":\"%s\"}", n, scopes[i]), *req, *res;
    char *text, *out;
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(r, "changes")) > 0, "changes (%s) has changes to give", scopes[i]);
    req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "cmd", "apply");
    cJSON_AddNumberToObject(req, "now", (double)n);
    cJSON_AddStringToObject(req, "scope", scopes[i]);
    cJSON_AddStringToObject(req, "origin", "0a0b0c0d");
    cJSON_AddItemToObject(req, "changes", cJSON_DetachItemFromObject(r, "changes"));
    text = cJSON_PrintUnformatted(req);
    saw(text);
    out = hub_call(h, text);
    res = out ? cJSON_Parse(out) : NULL;
    if (!res) abort();
    check_answer("apply", out, res);
    cJSON_Delete(res);
    hub_free(out);
    cJSON_free(text);
    cJSON_Delete(req);
    cJSON_Delete(r);
  }
}

/* Everything else: triage and its undo, searches, the outbox, the scheduler's jobs, the
 * console (events, analytics, read-only SQL, export → purge → import), the briefing and the
 * AI queue. Each with a valid request, so any answer that is an error is a failure. */
static void rest(hub *h, int64_t now) {
  cJSON *r;
  char *text, *req, key[200] = "";
  long long n = (long long)now, slot, id;
  r = call(h, "{\"cmd\":\"first_screen\",\"now\":%lld,\"limit\":5}", n);
  if (tu_str(r, "cards.0.key")) snprintf(key, sizeof key, "%s", tu_str(r, "cards.0.key"));
  cJSON_Delete(r);
  CHECK(key[0] != 0, "first_screen shows a card after the syncs");
  r = call(h, "{\"cmd\":\"activity\",\"now\":%lld}", n);
  CHECK(tu_num(r, "total") == 8, "activity: the recorded commits after the syncs (%g)", tu_num(r, "total"));
  cJSON_Delete(r);
  run(h, "{\"cmd\":\"activity\",\"now\":%lld,\"repo\":\"octocat/Hello-World\"}", n);
  run(h, "{\"cmd\":\"activity\",\"now\":%lld,\"language\":\"Ruby\",\"repo\":\"octocat/linguist\"}", n);
  run(h, "{\"cmd\":\"triage\",\"now\":%lld,\"action\":\"read\",\"keys\":[\"%s\"]}", n, key);
  run(h, "{\"cmd\":\"triage\",\"now\":%lld,\"action\":\"snooze\",\"keys\":[\"%s\"],\"until\":%lld}", n + 1, key, n + DAY_MS);
  run(h, "{\"cmd\":\"triage\",\"now\":%lld,\"action\":\"done\",\"query\":\"reason:mentioned\"}", n + 2);
  run(h, "{\"cmd\":\"undo\",\"now\":%lld}", n + 3);
  run(h, "{\"cmd\":\"triage\",\"now\":%lld,\"action\":\"save\",\"keys\":[\"%s\"]}", n + 4, key);
  run(h, "{\"cmd\":\"searches\",\"set\":[{\"name\":\"Reviews\",\"q\":\"reason:review_requested\"}]}");
  run(h, "{\"cmd\":\"searches\",\"now\":%lld}", n);
  run(h, "{\"cmd\":\"cards\",\"now\":%lld,\"q\":\"is:unread sort:updated\"}", n);
  run(h, "{\"cmd\":\"outbox\"}");
  run(h, "{\"cmd\":\"runs\",\"limit\":5}");
  if (has_cmd("job_claim")) { /* hubd's scheduler */
    run(h, "{\"cmd\":\"runs_prune\",\"before\":%lld}", n - 2 * DAY_MS);
    r = call(h, "{\"cmd\":\"job_claim\",\"job\":\"gfi\",\"schedule\":\"1h\",\"now\":%lld,\"jitter_ms\":0}", n);
    slot = (long long)tu_num(r, "slot");
    cJSON_Delete(r);
    if (slot) run(h, "{\"cmd\":\"job_done\",\"job\":\"gfi\",\"slot\":%lld,\"now\":%lld,\"status\":\"ok\",\"stats\":{\"n\":1}}", slot, n + 5);
    run(h, "{\"cmd\":\"jobs\",\"now\":%lld,\"schedules\":{\"gfi\":\"1h\"}}", n);
    run(h, "{\"cmd\":\"diagnose\",\"now\":%lld}", n);
  }
  if (has_cmd("tip_refresh")) run(h, "{\"cmd\":\"tip_refresh\",\"now\":%lld}", n);
  run(h, "{\"cmd\":\"events\",\"limit\":50}");
  run(h, "{\"cmd\":\"console_bandit\",\"recent\":12}");
  run(h, "{\"cmd\":\"tip_log\",\"limit\":5}");
  run(h, "{\"cmd\":\"tip_analytics\",\"resamples\":50}");
  run(h, "{\"cmd\":\"data_quality\"}");
  run(h, "{\"cmd\":\"sql\",\"sql\":\"SELECT kind, count(*) FROM items GROUP BY kind\",\"limit\":10}");
  run(h, "{\"cmd\":\"saved_queries\",\"set\":{\"name\":\"mine\",\"sql\":\"SELECT 2\"}}");
  run(h, "{\"cmd\":\"saved_queries\"}");
  run(h, "{\"cmd\":\"health\"}");
  r = call(h, "{\"cmd\":\"brief\",\"now\":%lld,\"refresh\":true}", n);
  if (!has_cmd("brief_llm")) /* hubd's LLM drivers: brief_llm and the AI queue's writers */
    CHECK(tu_str(r, "brief.hash") != NULL, "brief has a hash");
  else if (tu_str(r, "brief.hash"))
    run(h, "{\"cmd\":\"brief_llm\",\"now\":%lld,\"hash\":\"%s\",\"prompt_hash\":\"p\",\"model\":\"m\","
           "\"error\":{\"kind\":\"retryable\",\"message\":\"429\"},\"retry_at\":%lld}", n, tu_str(r, "brief.hash"), n + 3600000);
  else
    CHECK(0, "brief has a hash");
  cJSON_Delete(r);
  id = 0;
  if (has_cmd("ai_enqueue")) {
    run(h, "{\"cmd\":\"ai_enqueue\",\"now\":%lld}", n);
    r = call(h, "{\"cmd\":\"ai_claim\",\"now\":%lld}", n);
    id = (long long)tu_num(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "entries"), 0), "id");
    cJSON_Delete(r);
  }
  if (id)
    run(h, "{\"cmd\":\"ai_done\",\"id\":%lld,\"now\":%lld,\"error\":{\"kind\":\"retryable\",\"message\":\"500\"}}", id, n + 6);
  if (has_cmd("queue")) { /* the AI queue's views (hubd's drivers) */
    run(h, "{\"cmd\":\"queue\"}");
    run(h, "{\"cmd\":\"ai\"}");
  }
  /* Web Push (src/notify/): a device, a plan (the tip), its outcome (hubd's commands), and the
   * page's request to its hubd */
  if (has_cmd("push_plan")) {
    run(h, "{\"cmd\":\"push_subscribe\",\"now\":%lld,\"endpoint\":\"https://fcm.googleapis.com/fcm/send/x\","
           "\"p256dh\":\"BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4\","
           "\"auth\":\"BTBZMqHH6r4Tts7J_aSIgg\",\"tz_offset_min\":60}", n);
    r = call(h, "{\"cmd\":\"push_plan\",\"now\":%lld,\"tz_offset_min\":0}", n);
    id = (long long)tu_num(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "pushes"), 0), "id");
    cJSON_Delete(r);
    CHECK(id > 0, "push_plan pushes the tip to the device");
    run(h, "{\"cmd\":\"push_result\",\"now\":%lld,\"results\":[{\"push\":%lld,\"sub\":1,\"outcome\":\"retry\","
           "\"status\":429,\"retry_at\":%lld}]}", n + 1, id, n + 60000);
    run(h, "{\"cmd\":\"push_plan\",\"now\":%lld,\"retries_only\":true}", n + 60000);
    run(h, "{\"cmd\":\"push_subscriptions\",\"recent\":5}");
  }
  run(h, "{\"cmd\":\"settings\",\"set\":{\"hubd_url\":\"http://127.0.0.1:1\",\"hubd_key\":\"k3y-0123456789abcdef\"}}");
  run(h, "{\"cmd\":\"push_request\",\"op\":\"unsubscribe\",\"subscription\":{\"endpoint\":\"https://fcm.googleapis.com/fcm/send/x\"}}");
  if (has_cmd("push_unsubscribe")) run(h, "{\"cmd\":\"push_unsubscribe\",\"endpoint\":\"https://fcm.googleapis.com/fcm/send/x\"}");
  replica(h, n);
  /* export, purge, import: the cards come back */
  saw("\"cmd\":\"export\"");
  text = hub_call(h, "{\"cmd\":\"export\",\"now\":1700000000000}");
  r = cJSON_Parse(text);
  if (!r) abort();
  check_answer("export", text, r);
  cJSON_Delete(r);
  run(h, "{\"cmd\":\"purge\",\"confirm\":true}");
  req = hub__printf("{\"cmd\":\"import\",\"data\":%s}", text);
  hub_free(text);
  saw(req);
  text = hub_call(h, req);
  r = cJSON_Parse(text);
  if (!r) abort();
  check_answer("import", text, r);
  cJSON_Delete(r);
  hub_free(text);
  hub_free(req);
  run(h, "{\"cmd\":\"stats\"}");
}

/* Every command meta lists was called above: a new command without a line here fails. */
static void all_called(hub *h) {
  cJSON *m = call(h, "{\"cmd\":\"meta\"}");
  const cJSON *c, *cmds = cJSON_GetObjectItemCaseSensitive(m, "commands");
  int n = 0;
  cJSON_ArrayForEach(c, cmds) {
    const char *name = c->string ? c->string : tu_str(c, "name");
    n++;
    CHECK(name && was_seen(name), "command %s is called by this test", name ? name : "?");
  }
  CHECK(n >= 30, "meta lists the commands (%d)", n);
  cJSON_Delete(m);
}

static replay *load(const char *const *dirs, size_t n, const char *base) {
  char err[256];
  replay *r = replay_load(dirs, n, base, err, sizeof err);
  if (!r) {
    fprintf(stderr, "replay_load: %s\n", err);
    exit(1);
  }
  return r;
}

int main(int argc, char **argv) {
  const char *outdir = argc > 1 ? argv[1] : "build/out";
  int browser = argc > 2 && strcmp(argv[2], "--browser") == 0;
  cJSON *meta;
  static const char *const gh_dirs[] = {"tests/exchanges/demo", "tests/exchanges/gfi", "tests/exchanges/activity"};
  static const char *const tg_dirs[] = {"tests/exchanges/tangled"};
  char path[512], side[540], err[256];
  const char *sfx[] = {"", "-journal", "-wal", "-shm"};
  upstreams u;
  hub *h = NULL;
  int64_t now = T0;
  size_t i;
  int k;
  if (sqlite3_config(SQLITE_CONFIG_LOG, on_sqlite_log, (void *)NULL) != SQLITE_OK) {
    fprintf(stderr, "cannot install SQLite's error log\n");
    return 1;
  }
  snprintf(path, sizeof path, "%s/commands.db", outdir);
  for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
    snprintf(side, sizeof side, "%s%s", path, sfx[i]);
    unlink(side);
  }
  if (hub_open(path, NULL, &h, err, sizeof err)) {
    fprintf(stderr, "hub_open %s: %s\n", path, err);
    return 1;
  }
  meta = call(h, "{\"cmd\":\"meta\"}");
  meta_cmds = cJSON_DetachItemFromObjectCaseSensitive(meta, "commands");
  cJSON_Delete(meta);
  build_set(h, browser);
  u.github = load(gh_dirs, 3, "https://api.github.com");
  u.tangled = load(tg_dirs, 1, TANGLED_BASE);

  empty_database(h);
  settings(h);
  sync_checked(h, &u, &now, "first sync");
  cards(h, now);
  now += 10 * 60 * 1000;
  sync_checked(h, &u, &now, "second sync (unchanged)");
  tips(h, now);
  aborts(h, now + 60000);
  now += DAY_MS + 3600000;
  sync_checked(h, &u, &now, "a day later");
  cards(h, now);
  rest(h, now);
  run(h, "{\"cmd\":\"settings\",\"set\":{\"label_weights\":{},\"contributors\":{},\"decay_days\":14,"
         "\"gfi_awesome_url\":null,\"tangled_repos\":[]}}");
  run(h, "{\"cmd\":\"tip_reset\",\"logs\":true,\"items\":true}");
  run(h, "{\"cmd\":\"tip_stats\"}");
  run(h, "{\"cmd\":\"stats\"}");

  all_called(h);
  CHECK(log_errors == 0, "SQLite logged %d errors", log_errors);
  for (k = 0; k < log_errors && k < LOG_KEEP; k++) fprintf(stderr, "  sqlite log: %s\n", log_first[k]);
  hub_close(h);
  cJSON_Delete(meta_cmds);
  replay_free(u.github);
  replay_free(u.tangled);
  printf("commands: %ld calls\n", calls);
  printf("commands tests: %d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed != 0;
}
