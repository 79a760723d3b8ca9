/*
 * hub_cli.c — the native command-line interface `hub`, driving the portable core with
 * libcurl. Every subcommand is one or more JSON commands through hub_call(); results are
 * JSON on stdout, failures a one-line message on stderr and a non-zero exit status.
 *
 *   hub sync            one sync pass (GitHub notifications, searches, watched repos)
 *   hub cards [N]       the ranked cards (top 200 by default)
 *   hub top [N]         the same as a plain-text table for people (default 20)
 *   hub card KEY        one card with its body and the factors of its score
 *   hub stats           tracked / open / with reactions / repos
 *   hub last-run        statistics of the latest sync
 *   hub settings [JSON] show settings, or change them: hub settings '{"repos":["o/r"]}'
 *   hub tip             one tip: the single next thing to do (JSON)
 *   hub tip-feedback DECISION done|snooze|dismiss|helpful|not_helpful [SNOOZE_UNTIL_MS]
 *   hub tip-stats       per-policy pulls and rewards, the model
 *   hub tip-eval [POLICY] [--obd FILE.csv [POSITION]]
 *                       offline evaluation (replay, IPW, SNIPW) of a policy on hub's own log,
 *                       or on an Open Bandit Dataset CSV
 *   hub gfi-ufg DIR     import up-for-grabs project files (YAML) from DIR as good-first-issue
 *                       repositories; the next sync fetches their labelled issues
 *   hub call JSON       any command of the API, verbatim
 *
 * Environment: GITHUB_TOKEN (used for the run, never stored), HUB_GITHUB_API (API base URL,
 * default https://api.github.com), HUB_DB (database file, default ./hub.db),
 * HUB_MAX_WAIT (seconds the CLI may sleep for a rate limit, default 900), HUB_VERBOSE=1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "transport.h"
#include "upforgrabs.h"

static int usage(void) {
  fputs("usage: hub sync | cards [N] | top [N] | card KEY | tip | tip-feedback DECISION REACTION [UNTIL]\n"
        "       | tip-stats | tip-eval [POLICY] [--obd FILE [POSITION]] | gfi-ufg DIR | stats | last-run | settings [JSON] | call JSON\n",
        stderr);
  return 2;
}

/* Prints a result; returns 0, or 1 after a one-line message when it is an error. */
static int emit(const char *what, cJSON *res) {
  const cJSON *err = cJSON_GetObjectItemCaseSensitive(res, "error");
  char *out;
  if (!res) {
    fprintf(stderr, "hub: %s: out of memory\n", what);
    return 1;
  }
  if (err) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(err, "message");
    fprintf(stderr, "hub: %s: %s\n", what, cJSON_IsString(m) ? m->valuestring : "failed");
    cJSON_Delete(res);
    return 1;
  }
  out = cJSON_Print(res);
  if (out) puts(out);
  cJSON_free(out);
  cJSON_Delete(res);
  return 0;
}

static cJSON *simple(hub *h, const char *cmd, const char *key, const char *val, int with_now) {
  cJSON *req = cJSON_CreateObject(), *res;
  cJSON_AddStringToObject(req, "cmd", cmd);
  if (with_now) cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
  if (key && val) cJSON_AddStringToObject(req, key, val);
  res = hub_callj(h, req);
  cJSON_Delete(req);
  return res;
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
static int do_top(hub *h, int n) {
  cJSON *req = cJSON_CreateObject(), *res, *c;
  const cJSON *cards;
  cJSON_AddStringToObject(req, "cmd", "cards");
  cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
  cJSON_AddNumberToObject(req, "limit", n);
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
      int w;
      if (!cJSON_IsString(r)) continue;
      w = snprintf(reasons + rl, sizeof reasons - rl, "%s%s", rl ? "," : "", r->valuestring);
      if (w < 0 || (size_t)w >= sizeof reasons - rl) break;
      rl += (size_t)w;
    }
    printf("%7.3f  %-5s  %-34.34s  %s  [%s]\n", num_of(c, "score"), str_of(c, "kind"), item, title,
           reasons);
  }
  cJSON_Delete(res);
  return 0;
}

static int do_sync(hub *h) {
  const char *tok = getenv("GITHUB_TOKEN"), *api = getenv("HUB_GITHUB_API");
  const char *mw = getenv("HUB_MAX_WAIT"), *vb = getenv("HUB_VERBOSE");
  int64_t max_wait = (mw ? atoll(mw) : 900) * 1000;
  cJSON *res = hub_sync_run(h, tok, api, max_wait, vb && *vb == '1');
  const cJSON *run = cJSON_GetObjectItemCaseSensitive(res, "run");
  const cJSON *status = cJSON_GetObjectItemCaseSensitive(run, "status");
  char *out;
  int rc = 0;
  if (!res || cJSON_GetObjectItemCaseSensitive(res, "error")) return emit("sync", res);
  out = cJSON_Print(run);
  if (out) puts(out);
  cJSON_free(out);
  if (!cJSON_IsString(status) || strcmp(status->valuestring, "ok") != 0) {
    const cJSON *errs = cJSON_GetObjectItemCaseSensitive(run, "errors");
    const cJSON *first = cJSON_GetArrayItem(errs, 0);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(first, "message");
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(first, "url");
    int n = cJSON_GetArraySize(errs);
    fprintf(stderr, "hub: sync %s: %s%s%s%s\n",
            cJSON_IsString(status) ? status->valuestring : "failed",
            cJSON_IsString(m) ? m->valuestring : "unknown error",
            cJSON_IsString(u) && *u->valuestring ? " (" : "",
            cJSON_IsString(u) && *u->valuestring ? u->valuestring : "",
            cJSON_IsString(u) && *u->valuestring ? ")" : "");
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

static int do_tip_eval(hub *h, int argc, char **argv) {
  cJSON *req = cJSON_CreateObject();
  const char *policy = NULL, *obd = NULL;
  int i, rc, position = -1;
  for (i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--obd") == 0 && i + 1 < argc) {
      obd = argv[++i];
      if (i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9') position = atoi(argv[++i]);
    } else {
      policy = argv[i];
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
    if (position >= 0) cJSON_AddNumberToObject(req, "position", position);
    cJSON_AddStringToObject(req, "policy", policy ? policy : "uniform");
  } else {
    cJSON_AddStringToObject(req, "source", "log");
    cJSON_AddStringToObject(req, "policy", policy ? policy : "linucb");
  }
  rc = emit("tip-eval", hub_callj(h, req));
  cJSON_Delete(req);
  return rc;
}

int main(int argc, char **argv) {
  const char *db = getenv("HUB_DB");
  char err[512];
  hub *h = NULL;
  int rc;
  if (argc < 2) return usage();
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    fputs("hub: cannot initialise libcurl\n", stderr);
    return 1;
  }
  if (hub_open(db && *db ? db : "hub.db", NULL, &h, err, sizeof err)) {
    fprintf(stderr, "hub: %s\n", err);
    return 1;
  }
  if (strcmp(argv[1], "sync") == 0) {
    rc = do_sync(h);
  } else if (strcmp(argv[1], "cards") == 0) {
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "cmd", "cards");
    cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
    if (argc > 2) cJSON_AddNumberToObject(req, "limit", atof(argv[2]));
    rc = emit("cards", hub_callj(h, req));
    cJSON_Delete(req);
  } else if (strcmp(argv[1], "top") == 0) {
    rc = do_top(h, argc > 2 ? atoi(argv[2]) : 20);
  } else if (strcmp(argv[1], "card") == 0 && argc > 2) {
    rc = emit("card", simple(h, "card", "key", argv[2], 1));
  } else if (strcmp(argv[1], "stats") == 0) {
    rc = emit("stats", simple(h, "stats", NULL, NULL, 0));
  } else if (strcmp(argv[1], "last-run") == 0) {
    rc = emit("last-run", simple(h, "last_run", NULL, NULL, 0));
  } else if (strcmp(argv[1], "settings") == 0) {
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "cmd", "settings");
    if (argc > 2) {
      cJSON *set = cJSON_Parse(argv[2]);
      if (!set) {
        fputs("hub: settings: the argument is not valid JSON\n", stderr);
        cJSON_Delete(req);
        hub_close(h);
        return 2;
      }
      cJSON_AddItemToObject(req, "set", set);
    }
    rc = emit("settings", hub_callj(h, req));
    cJSON_Delete(req);
  } else if (strcmp(argv[1], "tip") == 0) {
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "cmd", "tip");
    cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
    rc = emit("tip", hub_callj(h, req));
    cJSON_Delete(req);
  } else if (strcmp(argv[1], "tip-feedback") == 0 && argc > 3) {
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "cmd", "tip_feedback");
    cJSON_AddNumberToObject(req, "now", (double)hub_now_ms());
    cJSON_AddNumberToObject(req, "decision", atof(argv[2]));
    cJSON_AddStringToObject(req, "reaction", argv[3]);
    if (argc > 4) cJSON_AddNumberToObject(req, "snooze_until", atof(argv[4]));
    rc = emit("tip-feedback", hub_callj(h, req));
    cJSON_Delete(req);
  } else if (strcmp(argv[1], "tip-stats") == 0) {
    rc = emit("tip-stats", simple(h, "tip_stats", NULL, NULL, 0));
  } else if (strcmp(argv[1], "tip-eval") == 0) {
    rc = do_tip_eval(h, argc, argv);
  } else if (strcmp(argv[1], "gfi-ufg") == 0 && argc > 2) {
    char uerr[512];
    cJSON *req = hub_ufg_command(argv[2], hub_now_ms(), uerr, sizeof uerr), *e;
    if (!req) {
      fprintf(stderr, "hub: gfi-ufg: %s\n", uerr);
      rc = 1;
    } else {
      cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(req, "problems")) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "file"), *w = cJSON_GetObjectItemCaseSensitive(e, "why");
        fprintf(stderr, "hub: gfi-ufg: skipped %s: %s\n", cJSON_IsString(f) ? f->valuestring : "?",
                cJSON_IsString(w) ? w->valuestring : "?");
      }
      rc = emit("gfi-ufg", hub_callj(h, req));
      cJSON_Delete(req);
    }
  } else if (strcmp(argv[1], "call") == 0 && argc > 2) {
    char *out = hub_call(h, argv[2]);
    cJSON *res = out ? cJSON_Parse(out) : NULL;
    hub_free(out);
    rc = emit("call", res);
  } else {
    rc = usage();
  }
  hub_close(h);
  curl_global_cleanup();
  return rc;
}
