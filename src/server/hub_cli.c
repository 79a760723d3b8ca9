/*
 * hub_cli.c — the native command-line interface `hub`, driving the portable core with
 * libcurl. Every subcommand is one or more JSON commands through hub_call(); results are
 * JSON on stdout, failures a one-line message on stderr and a non-zero exit status.
 *
 *   hub sync            one sync pass: first the outbox (what triage must tell GitHub), then
 *                       GitHub notifications, searches, watched repos, tangled, good-first lists
 *   hub cards [N] [-q QUERY]   the cards a search shows (the inbox by default; top 200)
 *   hub top [N] [-q QUERY]     the same as a plain-text table for people (default 20)
 *   hub card KEY        one card with its body and the factors of its score; KEY as `hub top`
 *                       prints it (owner/repo#N), a full key, or a GitHub/tangled URL. Opening
 *                       a card marks it read (not on a read-only database)
 *   hub done|read|unread|undone|save|unsave|mute|unmute|dismiss|unsnooze KEY… | -q QUERY
 *   hub snooze KEY… | -q QUERY --until WHEN    triage (WHEN as for tip-feedback)
 *   hub undo            undo the latest triage action (one bulk action is one)
 *   hub outbox          what GitHub is still to be told, and what was told lately
 *   hub stats           tracked / open / with reactions / repos
 *   hub brief [--json]  the briefing: the LLM's (cached by hubd) when fresh and valid for the
 *                       current items, else the one the rules assemble here; text, or JSON
 *   hub last-run        statistics of the latest sync
 *   hub settings [JSON] show settings, or change them: hub settings '{"repos":["o/r"]}'
 *   hub tip             one tip: the single next thing to do (JSON)
 *   hub tip-feedback DECISION done|snooze|dismiss|helpful|not_helpful [UNTIL]
 *                       UNTIL for snooze: 1h, tonight, tomorrow, next-week, an ISO time or ms
 *   hub tip-stats       per-policy pulls and rewards, the model
 *   hub tip-eval [POLICY] [--obd FILE.csv [POSITION]]
 *                       offline evaluation (replay, IPW, SNIPW) of a policy on hub's own log,
 *                       or on an Open Bandit Dataset CSV
 *   hub tip-sim [TYPE|all] [SEEDS]
 *                       the simulator family's table: regret per user type and policy, median
 *                       and worst over SEEDS users (12), and the ratio to random's
 *   hub gfi-ufg DIR     import up-for-grabs project files (YAML) from DIR as good-first-issue
 *                       repositories; the next sync fetches their labelled issues
 *   hub sql "SQL" [N]   one read-only statement over the database, as tab-separated rows
 *                       (header first; at most N rows, default 500); writes are refused
 *   hub call JSON       any command of the API, verbatim
 *   hub --help | --version
 *
 * Environment: GITHUB_TOKEN (used for the run, never stored), HUB_GITHUB_API (API base URL,
 * default https://api.github.com), HUB_DB (database file, default ./hub.db),
 * HUB_MAX_WAIT (seconds the CLI may sleep for a rate limit, default 900), HUB_VERBOSE=1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include "transport.h"
#include "upforgrabs.h"

#define HUB_VERSION "0.2"

static const char usage_text[] =
    "usage: hub COMMAND [ARGS]\n"
    "  sync                      one sync pass (the outbox, GitHub, tangled, good-first-issue lists;\n"
    "                            with hubd_url set: with that hubd alone)\n"
    "  top [N] [-q QUERY]        the top N cards as a table (20); QUERY: repo: org: author: label:\n"
    "                            reason: is: source: sort: words, -negation, \"quotes\", OR\n"
    "  cards [N] [-q QUERY]      the cards as JSON (200)\n"
    "  card KEY                  one card: KEY as top prints it (owner/repo#N) or a URL; marks it read\n"
    "  done|read|unread|undone|save|unsave|mute|unmute|dismiss|unsnooze KEY... | -q QUERY\n"
    "  snooze KEY... | -q QUERY --until WHEN   1h, tonight, tomorrow, next-week, ISO time or ms\n"
    "  undo | outbox             undo the latest triage action | what GitHub is still to be told\n"
    "  brief [--json]            the briefing: a headline and sections (text, or JSON)\n"
    "  stats | last-run          header numbers | the last sync's statistics\n"
    "  settings [JSON]           show or change settings\n"
    "  tip                       one tip; then: tip-feedback DECISION REACTION [UNTIL]\n"
    "  tip-stats | tip-eval [POLICY] [--obd FILE [POSITION]]\n"
    "  tip-sim [TYPE|all] [SEEDS]  the simulator family's regret table\n"
    "  gfi-ufg DIR               import up-for-grabs project files\n"
    "  sql \"SQL\" [N]              one read-only SQL statement, tab-separated (N rows, 500)\n"
    "  call JSON                 any command of the JSON API\n"
    "  --help | --version\n"
    "environment: GITHUB_TOKEN, HUB_GITHUB_API, HUB_DB (./hub.db), HUB_MAX_WAIT (900 s), HUB_VERBOSE=1\n";

static int usage(const char *why) {
  if (why) fprintf(stderr, "hub: %s\n", why);
  fputs(usage_text, stderr);
  return 2;
}

/* A whole decimal argument in [lo, hi]: 0 with *out, or -1. */
static int arg_int(const char *s, long lo, long hi, long *out) {
  char *end;
  long v;
  if (!s || !*s) return -1;
  v = strtol(s, &end, 10);
  if (*end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

/* Prints a result; returns 0, or 1 after a one-line message when it is an error (2 for a
 * query that cannot be read: bad usage, with the byte it stops at). */
static int emit(const char *what, cJSON *res) {
  const cJSON *err = cJSON_GetObjectItemCaseSensitive(res, "error");
  char *out;
  if (!res) {
    fprintf(stderr, "hub: %s: out of memory\n", what);
    return 1;
  }
  if (err) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(err, "message");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");
    const cJSON *pos = cJSON_GetObjectItemCaseSensitive(err, "position");
    int bad_query = cJSON_IsString(code) && strcmp(code->valuestring, "bad_query") == 0;
    if (cJSON_IsNumber(pos))
      fprintf(stderr, "hub: %s: %s (at byte %d of the query)\n", what, cJSON_IsString(m) ? m->valuestring : "failed",
              (int)pos->valuedouble);
    else
      fprintf(stderr, "hub: %s: %s\n", what, cJSON_IsString(m) ? m->valuestring : "failed");
    cJSON_Delete(res);
    return bad_query ? 2 : 1;
  }
  out = cJSON_Print(res);
  if (out) puts(out);
  cJSON_free(out);
  cJSON_Delete(res);
  return 0;
}

/* Runs {"cmd":cmd[,"now":…][,key:val]} and prints it. */
static int simple(hub *h, const char *what, const char *cmd, const char *key, const char *val, int with_now) {
  cJSON *req = cJSON_CreateObject(), *res;
  cJSON_AddStringToObject(req, "cmd", cmd);
  if (with_now) cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
  if (key && val) cJSON_AddStringToObject(req, key, val);
  res = hub_callj(h, req);
  cJSON_Delete(req);
  return emit(what, res);
}

static const char *str_of(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static double num_of(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* Prints cards as a table: score, kind, repo#number, title, reasons. Control characters in
 * titles are shown as '?' so hostile text cannot drive the terminal. */
static int do_top(hub *h, long n, const char *q) {
  cJSON *req = cJSON_CreateObject(), *res, *c;
  const cJSON *cards;
  cJSON_AddStringToObject(req, "cmd", "cards");
  cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
  cJSON_AddNumberToObject(req, "limit", (double)n);
  if (q) cJSON_AddStringToObject(req, "q", q);
  res = hub_callj(h, req);
  cJSON_Delete(req);
  if (!res || cJSON_GetObjectItemCaseSensitive(res, "error")) return emit("top", res);
  cards = cJSON_GetObjectItemCaseSensitive(res, "cards");
  printf("%7s  %-5s  %-34s  %s\n", "score", "kind", "item", "title  [reasons]");
  cJSON_ArrayForEach(c, cards) {
    char item[128], title[81], reasons[128] = "";
    const cJSON *r, *t = cJSON_GetObjectItemCaseSensitive(c, "title");
    size_t i, rl = 0;
    snprintf(item, sizeof item, "%s#%d", str_of(c, "repo"), (int)num_of(c, "number"));
    snprintf(title, sizeof title, "%s", cJSON_IsString(t) ? t->valuestring : "");
    for (i = 0; title[i]; i++)
      if ((unsigned char)title[i] < 0x20 || title[i] == 0x7f) title[i] = '?';
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(c, "reasons")) {
      int w = snprintf(reasons + rl, sizeof reasons - rl, "%s%s", rl ? "," : "", str_of(r, "code"));
      if (w < 0 || (size_t)w >= sizeof reasons - rl) break;
      rl += (size_t)w;
    }
    printf("%7.3f  %-5s  %-34.34s  %s  [%s]\n", num_of(c, "score"), str_of(c, "kind"), item, title, reasons);
  }
  cJSON_Delete(res);
  return 0;
}

/* Prints s with control characters shown as '?' (hostile text cannot drive the terminal). */
static void put_clean(const char *s) {
  for (; s && *s; s++) putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* `hub brief`: the briefing for people — the headline, then each section with its items. */
static int do_brief(hub *h, int json) {
  cJSON *req = cJSON_CreateObject(), *res;
  const cJSON *b, *sec, *it, *items;
  char when[32];
  cJSON_AddStringToObject(req, "cmd", "brief");
  cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
  res = hub_callj(h, req);
  cJSON_Delete(req);
  if (json || !res || cJSON_GetObjectItemCaseSensitive(res, "error")) return emit("brief", res);
  b = cJSON_GetObjectItemCaseSensitive(res, "brief");
  items = cJSON_GetObjectItemCaseSensitive(b, "items");
  {
    time_t t = (time_t)(num_of(b, "at") / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
  }
  if (strcmp(str_of(b, "source"), "llm") == 0) {
    printf("Briefing, written by ");
    put_clean(str_of(b, "model"));
    printf(" at %s\n\n", when);
  } else {
    printf("Briefing, assembled on this device at %s\n\n", when);
  }
  put_clean(str_of(b, "headline"));
  putchar('\n');
  cJSON_ArrayForEach(sec, cJSON_GetObjectItemCaseSensitive(b, "sections")) {
    printf("\n");
    put_clean(str_of(sec, "title"));
    printf(" (%.0f in all)\n", num_of(cJSON_GetObjectItemCaseSensitive(b, "counts"), str_of(sec, "kind")));
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(sec, "items")) {
      const cJSON *item = cJSON_GetObjectItemCaseSensitive(items, str_of(it, "key"));
      printf("  %s#%.0f  ", str_of(item, "repo"), num_of(item, "number"));
      put_clean(str_of(item, "title"));
      printf("\n      ");
      put_clean(str_of(it, "reason"));
      putchar('\n');
    }
  }
  cJSON_Delete(res);
  return 0;
}

/* The item key for what a person types: "owner/repo#N" (as top prints it) → github.com's key;
 * "https://HOST/owner/repo/(issues|pull)/N" → "HOST/owner/repo#N"; anything else verbatim. */
static char *card_key(const char *arg) {
  char host[128] = "github.com", repo[256];
  long n;
  const char *hash = strchr(arg, '#');
  if (strncmp(arg, "https://", 8) == 0 || strncmp(arg, "http://", 7) == 0) {
    const char *p = strstr(arg, "://") + 3, *slash = strchr(p, '/');
    char kind[16];
    int used = 0;
    if (slash && (size_t)(slash - p) < sizeof host) {
      snprintf(host, sizeof host, "%.*s", (int)(slash - p), p);
      if (strncmp(host, "www.", 4) == 0) memmove(host, host + 4, strlen(host + 4) + 1);
      if (sscanf(slash, "/%255[^/]/%*[^/]/%15[^/]/%ld%n", repo, kind, &n, &used) == 3 &&
          (strcmp(kind, "issues") == 0 || strcmp(kind, "pull") == 0 || strcmp(kind, "pulls") == 0)) {
        const char *r2 = strchr(slash + 1, '/');
        size_t rl = r2 ? (size_t)(strchr(r2 + 1, '/') - (slash + 1)) : 0;
        char *k = malloc(strlen(host) + rl + 32);
        if (k) sprintf(k, "%s/%.*s#%ld", host, (int)rl, slash + 1, n);
        return k;
      }
    }
  } else if (hash && strchr(arg, '/') && strchr(arg, '/') < hash &&
             strchr(strchr(arg, '/') + 1, '/') == NULL && arg_int(hash + 1, 1, 2000000000L, &n) == 0) {
    char *k = malloc(strlen(arg) + 16);
    if (k) sprintf(k, "github.com/%s", arg);
    return k;
  }
  return strdup(arg);
}

static int do_sync(hub *h) {
  const char *tok = getenv("GITHUB_TOKEN"), *api = getenv("HUB_GITHUB_API");
  const char *mw = getenv("HUB_MAX_WAIT"), *vb = getenv("HUB_VERBOSE");
  long wait_s = 900;
  cJSON *res;
  const cJSON *run, *status;
  char *out;
  int rc = 0;
  if (mw && arg_int(mw, 0, 7L * 86400, &wait_s)) return usage("HUB_MAX_WAIT must be whole seconds");
  if (tok && !*tok) tok = NULL;
  fprintf(stderr, "hub: syncing (GitHub API %s, %s)…\n", api && *api ? api : "from settings",
          tok ? "token from GITHUB_TOKEN" : "token from settings");
  res = hub_sync_run(h, tok, "GITHUB_TOKEN", api && *api ? api : NULL, (int64_t)wait_s * 1000, vb && *vb == '1');
  if (!res || cJSON_GetObjectItemCaseSensitive(res, "error")) return emit("sync", res);
  run = cJSON_GetObjectItemCaseSensitive(res, "run");
  status = cJSON_GetObjectItemCaseSensitive(run, "status");
  out = cJSON_Print(run);
  if (out) puts(out);
  cJSON_free(out);
  if (!cJSON_IsString(status) || strcmp(status->valuestring, "ok") != 0) {
    const cJSON *errs = cJSON_GetObjectItemCaseSensitive(run, "errors");
    const cJSON *first = cJSON_GetArrayItem(errs, 0);
    const char *m = str_of(first, "message"), *u = str_of(first, "url");
    int n = cJSON_GetArraySize(errs);
    if (strcmp(str_of(run, "code"), "rate_limited") == 0) {
      char when[16];
      time_t until = (time_t)(num_of(run, "retry_at") / 1000);
      struct tm tmv;
      localtime_r(&until, &tmv);
      strftime(when, sizeof when, "%H:%M", &tmv);
      fprintf(stderr, "hub: sync stopped: rate-limited until %s; run again later\n", when);
    } else {
      fprintf(stderr, "hub: sync %s: %s%s%s%s\n", cJSON_IsString(status) ? status->valuestring : "failed",
              *m ? m : "unknown error", *u ? " (" : "", u, *u ? ")" : "");
    }
    if (n > 1) fprintf(stderr, "hub: and %d more problem%s; see `hub last-run`\n", n - 1, n > 2 ? "s" : "");
    rc = 1;
  }
  cJSON_Delete(res);
  return rc;
}

/* Reads a whole file into a new NUL-terminated string (at most max bytes); NULL on failure. */
static char *read_file(const char *path, size_t max) {
  FILE *f = fopen(path, "rb");
  char *p = NULL;
  long n;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && (size_t)n <= max && fseek(f, 0, SEEK_SET) == 0) {
    p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
      free(p);
      p = NULL;
    }
    if (p) p[n] = 0;
  }
  fclose(f);
  return p;
}

/* One tip_simulate request per user type (each under the core's work cap), printed as a table. */
static int do_tip_sim(hub *h, int argc, char **argv) {
  static const char *const types[] = {"linear", "nonlinear", "drift", "rare"};
  const char *only = argc > 2 ? argv[2] : "all";
  long seeds = 12;
  int t, shown = 0;
  if (argc > 3 && arg_int(argv[3], 1, 200, &seeds)) return usage("tip-sim [TYPE|all] [SEEDS]: SEEDS from 1 to 200");
  printf("%-10s %-13s %9s %9s %8s %8s %7s %6s\n", "user type", "policy", "median", "worst", "×random", "worst×",
         ">random", "in-row");
  for (t = 0; t < 4; t++) {
    cJSON *req, *res;
    const cJSON *e;
    if (strcmp(only, "all") != 0 && strcmp(only, types[t]) != 0) continue;
    req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "cmd", "tip_simulate");
    cJSON_AddStringToObject(req, "type", types[t]);
    cJSON_AddNumberToObject(req, "seeds", (double)seeds);
    res = hub_callj(h, req);
    cJSON_Delete(req);
    if (!res || cJSON_GetObjectItemCaseSensitive(res, "error")) return emit("tip-sim", res);
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "types"), 0),
                                                           "policies")) {
      printf("%-10s %-13s %9.1f %9.1f %8.2f %8.2f %7.0f %6.0f%s\n", types[t], str_of(e, "policy"), num_of(e, "median"),
             num_of(e, "worst"), num_of(e, "ratio_median"), num_of(e, "ratio_worst"), num_of(e, "worse_than_random"),
             num_of(e, "max_in_row"), cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "served")) ? "  ← served" : "");
    }
    cJSON_Delete(res);
    shown++;
  }
  if (!shown) return usage("tip-sim TYPE is linear, nonlinear, drift, rare or all");
  printf("regret: cumulative over 600 simulated tips (≈ 90 days, 50 items); ×random: median and worst of the\n"
         "ratio to random's regret in the same seed; >random: seeds worse than random; in-row: longest run\n");
  return 0;
}

static int do_tip_eval(hub *h, int argc, char **argv) {
  cJSON *req = cJSON_CreateObject();
  const char *policy = NULL, *obd = NULL;
  int i, rc;
  long position = -1;
  for (i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--obd") == 0 && i + 1 < argc) {
      obd = argv[++i];
      if (i + 1 < argc && arg_int(argv[i + 1], 0, 1000, &position) == 0) i++;
    } else if (!policy && argv[i][0] != '-') {
      policy = argv[i];
    } else {
      cJSON_Delete(req);
      return usage("tip-eval [POLICY] [--obd FILE [POSITION]]");
    }
  }
  cJSON_AddStringToObject(req, "cmd", "tip_eval");
  if (obd) {
    char *csv = read_file(obd, 64u * 1024u * 1024u);
    if (!csv) {
      fprintf(stderr, "hub: tip-eval: cannot read %s\n", obd);
      cJSON_Delete(req);
      return 1;
    }
    cJSON_AddStringToObject(req, "source", "obd");
    cJSON_AddStringToObject(req, "csv", csv);
    free(csv);
    if (position >= 0) cJSON_AddNumberToObject(req, "position", (double)position);
    cJSON_AddStringToObject(req, "policy", policy ? policy : "uniform");
  } else {
    cJSON_AddStringToObject(req, "source", "log");
    cJSON_AddStringToObject(req, "policy", policy ? policy : "linucb");
  }
  rc = emit("tip-eval", hub_callj(h, req));
  cJSON_Delete(req);
  return rc;
}

/* A snooze's end in ms from what a person types: "1h"/"3h", "tonight" (19:00), "tomorrow"
 * (09:00), "next-week" (next Monday 09:00) in local time, an ISO-8601 time, or ms. -1 when not
 * understood. */
static int64_t snooze_until(const char *s, int64_t now_ms) {
  time_t now = (time_t)(now_ms / 1000), t;
  struct tm tmv;
  long v;
  char *end;
  int hour_now;
  localtime_r(&now, &tmv);
  hour_now = tmv.tm_hour;
  tmv.tm_sec = 0;
  tmv.tm_min = 0;
  if (strcmp(s, "tonight") == 0) {
    tmv.tm_hour = 19;
    if (hour_now >= 19) tmv.tm_mday += 1;
  } else if (strcmp(s, "tomorrow") == 0) {
    tmv.tm_hour = 9;
    tmv.tm_mday += 1;
  } else if (strcmp(s, "next-week") == 0 || strcmp(s, "monday") == 0) {
    tmv.tm_hour = 9;
    tmv.tm_mday += ((8 - tmv.tm_wday) % 7) ? (8 - tmv.tm_wday) % 7 : 7;
  } else if ((v = strtol(s, &end, 10)) > 0 && (strcmp(end, "h") == 0 || strcmp(end, "d") == 0) && v <= 10000) {
    return now_ms + (int64_t)v * (strcmp(end, "h") == 0 ? 3600000LL : 86400000LL);
  } else if (arg_int(s, 1, 0x7fffffffL, &v) == 0 || (strtoll(s, &end, 10) > 0 && !*end)) {
    return strtoll(s, NULL, 10);
  } else {
    struct tm g;
    memset(&g, 0, sizeof g);
    if (strlen(s) >= 16 && sscanf(s, "%d-%d-%dT%d:%d", &g.tm_year, &g.tm_mon, &g.tm_mday, &g.tm_hour, &g.tm_min) == 5) {
      g.tm_year -= 1900;
      g.tm_mon -= 1;
      g.tm_isdst = -1;
      t = mktime(&g);
      return t == (time_t)-1 ? -1 : (int64_t)t * 1000;
    }
    return -1;
  }
  tmv.tm_isdst = -1;
  t = mktime(&tmv);
  return t == (time_t)-1 ? -1 : (int64_t)t * 1000;
}

static int do_tip_feedback(hub *h, int argc, char **argv) {
  cJSON *req;
  long dec;
  int64_t now = hub_now_ms(), until = 0;
  int rc;
  if (argc < 4 || argc > 5 || arg_int(argv[2], 1, 0x7fffffffL, &dec))
    return usage("tip-feedback DECISION done|snooze|dismiss|helpful|not_helpful [UNTIL]");
  if (argc == 5) {
    if (strcmp(argv[3], "snooze") != 0) return usage("only snooze takes an UNTIL");
    until = snooze_until(argv[4], now);
    if (until <= now) {
      fprintf(stderr, "hub: tip-feedback: \"%s\" is not a time to snooze until (1h, tonight, tomorrow, next-week, "
                      "an ISO time or ms)\n", argv[4]);
      return 2;
    }
  }
  req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "cmd", "tip_feedback");
  cJSON_AddNumberToObject(req, "now", (double)now);
  cJSON_AddNumberToObject(req, "decision", (double)dec);
  cJSON_AddStringToObject(req, "reaction", argv[3]);
  if (until) cJSON_AddNumberToObject(req, "snooze_until", (double)until);
  rc = emit("tip-feedback", hub_callj(h, req));
  cJSON_Delete(req);
  return rc;
}

static int do_settings(hub *h, int argc, char **argv) {
  cJSON *req = cJSON_CreateObject();
  int rc;
  cJSON_AddStringToObject(req, "cmd", "settings");
  if (argc > 2) {
    cJSON *set = cJSON_Parse(argv[2]);
    if (!set || !cJSON_IsObject(set)) {
      cJSON_Delete(set);
      cJSON_Delete(req);
      return usage("settings: the argument is not a JSON object");
    }
    cJSON_AddItemToObject(req, "set", set);
  }
  rc = emit("settings", hub_callj(h, req));
  cJSON_Delete(req);
  return rc;
}

static int do_ufg(hub *h, const char *dir) {
  char uerr[512];
  cJSON *req = hub_ufg_command(dir, hub_now_ms(), uerr, sizeof uerr), *e;
  int rc;
  if (!req) {
    fprintf(stderr, "hub: gfi-ufg: %s\n", uerr);
    return 1;
  }
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(req, "problems")) {
    fprintf(stderr, "hub: gfi-ufg: skipped %s: %s\n", str_of(e, "file"), str_of(e, "why"));
  }
  rc = emit("gfi-ufg", hub_callj(h, req));
  cJSON_Delete(req);
  return rc;
}

/* Prints one value of a sql result as a TSV field: control characters (tabs and newlines too)
 * as '?', so hostile text cannot break the columns or drive the terminal. */
static void tsv_field(const cJSON *v) {
  const char *s;
  if (cJSON_IsNull(v)) return;
  if (cJSON_IsNumber(v)) {
    printf("%.17g", v->valuedouble);
    return;
  }
  if (cJSON_IsObject(v)) { /* a blob */
    printf("x'%s'", str_of(v, "blob"));
    return;
  }
  for (s = cJSON_IsString(v) ? v->valuestring : ""; *s; s++) putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* hub sql "SQL" [N]: the read-only SQL command, printed as tab-separated rows. */
static int do_sql(hub *h, int argc, char **argv) {
  cJSON *req = cJSON_CreateObject(), *res;
  const cJSON *row, *v;
  long n = 500;
  if (argc > 3 && arg_int(argv[3], 1, 5000, &n)) {
    cJSON_Delete(req);
    return usage("N is a whole number from 1 to 5000");
  }
  cJSON_AddStringToObject(req, "cmd", "sql");
  cJSON_AddStringToObject(req, "sql", argv[2]);
  cJSON_AddNumberToObject(req, "limit", (double)n);
  res = hub_callj(h, req);
  cJSON_Delete(req);
  if (!res || cJSON_GetObjectItemCaseSensitive(res, "error")) return emit("sql", res);
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(res, "columns")) {
    if (v != cJSON_GetObjectItemCaseSensitive(res, "columns")->child) putchar('\t');
    tsv_field(v);
  }
  putchar('\n');
  cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(res, "rows")) {
    cJSON_ArrayForEach(v, row) {
      if (v != row->child) putchar('\t');
      tsv_field(v);
    }
    putchar('\n');
  }
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "truncated")))
    fprintf(stderr, "hub: sql: only the first %ld rows are shown\n", n);
  cJSON_Delete(res);
  return 0;
}

/* ---- triage ------------------------------------------------------------------------------ */

static const char *const triage_actions[] = {"read", "unread", "done", "undone", "snooze", "unsnooze",
                                             "save", "unsave", "mute", "unmute", "dismiss"};

static int triage_action(const char *c) {
  size_t i;
  for (i = 0; i < sizeof triage_actions / sizeof triage_actions[0]; i++)
    if (strcmp(c, triage_actions[i]) == 0) return 1;
  return 0;
}

/* hub cards|top [N] [-q QUERY]. */
static int do_cards(hub *h, int argc, char **argv) {
  int top = argv[1][0] == 't', i, rc, have_n = 0;
  long n = top ? 20 : 200;
  const char *q = NULL;
  cJSON *req;
  for (i = 2; i < argc; i++) {
    if (strcmp(argv[i], "-q") == 0 && i + 1 < argc && !q) q = argv[++i];
    else if (!have_n && arg_int(argv[i], 1, 200, &n) == 0) have_n = 1;
    else return usage("cards|top [N] [-q QUERY]: N is a whole number from 1 to 200");
  }
  if (top) return do_top(h, n, q);
  req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "cmd", "cards");
  cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
  cJSON_AddNumberToObject(req, "limit", (double)n);
  if (q) cJSON_AddStringToObject(req, "q", q);
  rc = emit("cards", hub_callj(h, req));
  cJSON_Delete(req);
  return rc;
}

/* After `hub card`: the card is read. Quiet — a read-only database is no error here. */
static void mark_read(hub *h, const char *key) {
  cJSON *req = cJSON_CreateObject(), *keys = cJSON_AddArrayToObject(req, "keys");
  cJSON_AddStringToObject(req, "cmd", "triage");
  cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
  cJSON_AddStringToObject(req, "action", "read");
  cJSON_AddItemToArray(keys, cJSON_CreateString(key));
  cJSON_Delete(hub_callj(h, req));
  cJSON_Delete(req);
}

/* hub ACTION KEY… | -q QUERY [--until WHEN]. Usage errors exit 2. */
static int do_triage(hub *h, int argc, char **argv) {
  const char *action = argv[1], *q = NULL, *when = NULL;
  cJSON *req = cJSON_CreateObject(), *keys = cJSON_CreateArray();
  int64_t now = hub_now_ms(), until = 0;
  int i, rc = 2;
  for (i = 2; i < argc; i++) {
    if (strcmp(argv[i], "-q") == 0 && i + 1 < argc && !q) {
      q = argv[++i];
    } else if (strcmp(argv[i], "--until") == 0 && i + 1 < argc && !when) {
      when = argv[++i];
    } else if (argv[i][0] == '-') {
      rc = usage("ACTION KEY... | ACTION -q QUERY (snooze: --until WHEN)");
      goto done;
    } else {
      char *k = card_key(argv[i]);
      if (k) cJSON_AddItemToArray(keys, cJSON_CreateString(k));
      free(k);
    }
  }
  if (!q == !cJSON_GetArraySize(keys) || (when && strcmp(action, "snooze") != 0) ||
      (!when && strcmp(action, "snooze") == 0)) {
    rc = usage(strcmp(action, "snooze") == 0 ? "snooze KEY... | -q QUERY --until WHEN"
                                             : "ACTION KEY... | ACTION -q QUERY (only snooze takes --until)");
    goto done;
  }
  if (when && (until = snooze_until(when, now)) <= now) {
    fprintf(stderr, "hub: snooze: \"%s\" is not a time to snooze until (1h, tonight, tomorrow, next-week, an ISO time or ms)\n", when);
    goto done;
  }
  cJSON_AddStringToObject(req, "cmd", "triage");
  cJSON_AddNumberToObject(req, "now", (double)now);
  cJSON_AddStringToObject(req, "action", action);
  if (q) cJSON_AddStringToObject(req, "query", q);
  else {
    cJSON_AddItemToObject(req, "keys", keys);
    keys = NULL;
  }
  if (until) cJSON_AddNumberToObject(req, "until", (double)until);
  rc = emit(action, hub_callj(h, req));
done:
  cJSON_Delete(keys);
  cJSON_Delete(req);
  return rc;
}

/* The subcommands: name, least and most arguments after the name. */
static const struct { const char *name; int min, max; } cmds[] = {
    {"sync", 0, 0}, {"cards", 0, 3}, {"top", 0, 3}, {"card", 1, 1}, {"stats", 0, 0}, {"last-run", 0, 0},
    {"settings", 0, 1}, {"tip", 0, 0}, {"tip-feedback", 2, 3}, {"tip-stats", 0, 0}, {"tip-eval", 0, 4},
    {"gfi-ufg", 1, 1}, {"sql", 1, 2}, {"call", 1, 1}, {"brief", 0, 1}, {"tip-sim", 0, 2},
    {"undo", 0, 0}, {"outbox", 0, 0},
    {"read", 1, 1002}, {"unread", 1, 1002}, {"done", 1, 1002}, {"undone", 1, 1002}, {"snooze", 1, 1004},
    {"unsnooze", 1, 1002}, {"save", 1, 1002}, {"unsave", 1, 1002}, {"mute", 1, 1002}, {"unmute", 1, 1002},
    {"dismiss", 1, 1002},
};

static int run(hub *h, int argc, char **argv) {
  const char *c = argv[1];
  if (strcmp(c, "sync") == 0) return do_sync(h);
  if (strcmp(c, "cards") == 0 || strcmp(c, "top") == 0) return do_cards(h, argc, argv);
  if (strcmp(c, "card") == 0) {
    char *key = card_key(argv[2]);
    int rc = key ? simple(h, "card", "card", "key", key, 1) : 1;
    if (rc == 0) mark_read(h, key); /* opening a card marks it read */
    free(key);
    return rc;
  }
  if (strcmp(c, "brief") == 0) {
    if (argc > 2 && strcmp(argv[2], "--json") != 0) return usage("brief takes only --json");
    return do_brief(h, argc > 2);
  }
  if (triage_action(c)) return do_triage(h, argc, argv);
  if (strcmp(c, "undo") == 0) return simple(h, "undo", "undo", NULL, NULL, 1);
  if (strcmp(c, "outbox") == 0) return simple(h, "outbox", "outbox", NULL, NULL, 0);
  if (strcmp(c, "stats") == 0) return simple(h, "stats", "stats", NULL, NULL, 0);
  if (strcmp(c, "last-run") == 0) return simple(h, "last-run", "last_run", NULL, NULL, 0);
  if (strcmp(c, "settings") == 0) return do_settings(h, argc, argv);
  if (strcmp(c, "tip") == 0) return simple(h, "tip", "tip", NULL, NULL, 1);
  if (strcmp(c, "tip-feedback") == 0) return do_tip_feedback(h, argc, argv);
  if (strcmp(c, "tip-stats") == 0) return simple(h, "tip-stats", "tip_stats", NULL, NULL, 0);
  if (strcmp(c, "tip-eval") == 0) return do_tip_eval(h, argc, argv);
  if (strcmp(c, "tip-sim") == 0) return do_tip_sim(h, argc, argv);
  if (strcmp(c, "gfi-ufg") == 0) return do_ufg(h, argv[2]);
  if (strcmp(c, "sql") == 0) return do_sql(h, argc, argv);
  {
    char *out = hub_call(h, argv[2]); /* call */
    cJSON *res = out ? cJSON_Parse(out) : NULL;
    hub_free(out);
    return emit("call", res);
  }
}

int main(int argc, char **argv) {
  const char *db = getenv("HUB_DB");
  char err[768];
  hub *h = NULL;
  size_t i;
  int rc;
  if (argc < 2) return usage(NULL);
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("hub %s\n", HUB_VERSION);
    return 0;
  }
  for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    if (strcmp(argv[1], cmds[i].name) == 0) break;
  if (i == sizeof cmds / sizeof cmds[0]) {
    char msg[160];
    snprintf(msg, sizeof msg, "unknown command \"%.60s\"", argv[1]);
    return usage(msg); /* before any database is opened or created */
  }
  if (argc - 2 < cmds[i].min || argc - 2 > cmds[i].max) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s takes %d to %d arguments", cmds[i].name, cmds[i].min, cmds[i].max);
    return usage(msg);
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    fputs("hub: cannot initialise libcurl\n", stderr);
    return 1;
  }
  if (hub_open(db && *db ? db : "hub.db", NULL, &h, err, sizeof err)) {
    fprintf(stderr, "hub: %s\n", err);
    curl_global_cleanup();
    return 1;
  }
  rc = run(h, argc, argv);
  hub_close(h);
  curl_global_cleanup();
  return rc;
}
