/*
 * api.c — hub_open/hub_close and the one JSON command API, hub_call (api layer).
 *
 * Every caller — the web worker through wasm, the native CLI, hubd's routes, the tests — goes
 * through hub_call(). Requests are JSON objects with a "cmd"; results are JSON objects;
 * failures are {"error":{"code","message"[,"field"]}}. The commands are declared once in
 * api/commands.def (every build) or api/server_commands.def (native builds, through the
 * hub__build_commands hook) with whether they write; a read-only database refuses the ones
 * that do.
 * Nothing here aborts on bad input.
 */
#include <stdio.h>
#include <string.h>
#include "db/db.h"
#include "rank/rank.h"
#include "items/items.h"
#include "sources/sources.h"
#include "sources/activity.h"
#include "sync/jobs.h"
#include "tip/tip.h"
#include "tip/insight.h"
#include "base/events.h"
#include "brief/brief.h"
#include "notify/notify.h"
#include "replica/replica.h"
#include "api/api.h"

static const hub__command commands[] = {
#define X(name, fn, writes, when, help) {#name, fn, writes, when, help},
#include "api/commands.def"
#undef X
};

/* 1 when req (a request for command c) writes to the database. */
static int command_writes(const hub__command *c, const cJSON *req) {
  return c->writes && (!c->when || cJSON_GetObjectItemCaseSensitive(req, c->when) != NULL);
}

int hub_open(const char *path, const char *vfs, hub **out, char *errbuf, size_t errlen) {
  hub *h;
  hub__mem_init();
  *out = NULL;
  h = hub__malloc(sizeof *h);
  if (!h) {
    if (errbuf && errlen) snprintf(errbuf, errlen, "out of memory");
    return -1;
  }
  memset(h, 0, sizeof *h);
  if (hub__db_open(h, path, vfs) || hub__items_rescore_if_due(h)) {
    if (errbuf && errlen) snprintf(errbuf, errlen, "%s", h->errmsg);
    hub__db_close(h);
    hub_free(h);
    return -1;
  }
  *out = h;
  return 0;
}

void hub_close(hub *h) {
  if (!h) return;
  hub__sync_free(h); /* commits the run's open group of answers first */
  hub__tip_cache_free(h);
  hub__weights_invalidate(h);
  hub__db_close(h);
  hub__events_free(h);
  hub_free(h);
}

cJSON *hub__api_sync_start(hub *h, const cJSON *req) {
  static const hub__source *const follow[] = {&hub__hubd_source};
  /* a database that follows a hubd syncs with it alone; hubd does the fetching */
  if (hub__replica_following(h)) return hub__sync_start(h, req, follow, 1);
  return hub__sync_start(h, req, hub__source_list, hub__source_count);
}

/* The command named c in api/commands.def, else in the build's own table, or NULL. */
static const hub__command *find_command(const char *c) {
  size_t i;
  for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(c, commands[i].name) == 0) return &commands[i];
  for (i = 0; i < hub__build_commands.n; i++)
    if (strcmp(c, hub__build_commands.cmds[i].name) == 0) return &hub__build_commands.cmds[i];
  return NULL;
}

/* 1 for the commands a sync's driver sends between answers (they may run inside the run's
 * open group of answers); every other command commits that group first. */
static int sync_step(const char *c) { return strcmp(c, "sync_next") == 0 || strcmp(c, "sync_feed") == 0; }

static cJSON *dispatch(hub *h, const cJSON *req) {
  const char *c = hub__json_str(req, "cmd");
  const hub__command *cmd;
  char msg[160];
  if (!cJSON_IsObject(req)) return hub__error_json(HUB_E_BAD_REQUEST, "a request is a JSON object");
  if (!c) return hub__error_json(HUB_E_BAD_REQUEST, "a request needs a \"cmd\" string");
  if (h->body && strcmp(c, "sync_feed") != 0)
    return hub__error_json(HUB_E_BAD_REQUEST, "hub_feed runs sync_feed only");
  if (!sync_step(c)) (void)hub__sync_flush(h); /* a failure is noted on the run */
  cmd = find_command(c);
  if (!cmd) {
    snprintf(msg, sizeof msg, "unknown command \"%.80s\"", c);
    return hub__error_json(HUB_E_BAD_REQUEST, msg);
  }
  if (h->readonly && command_writes(cmd, req)) {
    snprintf(msg, sizeof msg, "\"%s\" would change the database, which is read-only", c);
    return hub__error_json(HUB_E_READONLY, msg);
  }
  return cmd->fn(h, req);
}

static char *print_or_oom(cJSON *res) {
  char *out = res ? cJSON_PrintUnformatted(res) : NULL;
  cJSON_Delete(res);
  if (!out) out = hub__strdup("{\"error\":{\"code\":\"nomem\",\"message\":\"out of memory\"}}");
  return out;
}

/* hub_call_n and hub_feed: one path. body is NULL, or the bytes hub_feed attaches to the
 * request (seen by sync_feed through h->body while it runs). */
static char *call(hub *h, const char *request_json, size_t len, const hub__bytes *body) {
  cJSON *req, *res;
  const char *end = NULL;
  char msg[160];
  if (!h || !request_json) return print_or_oom(hub__error_json(HUB_E_BAD_REQUEST, "no handle or request"));
  if (len > HUB_MAX_REQUEST) {
    snprintf(msg, sizeof msg, "request of %zu bytes is over the %u-byte limit", len, (unsigned)HUB_MAX_REQUEST);
    return print_or_oom(hub__error_json(HUB_E_TOO_BIG, msg));
  }
  req = cJSON_ParseWithLengthOpts(request_json, len, &end, 0);
  if (!req) {
    snprintf(msg, sizeof msg, "malformed JSON request near byte %zu",
             end && end >= request_json ? (size_t)(end - request_json) : (size_t)0);
    return print_or_oom(hub__error_json(HUB_E_BAD_JSON, msg));
  }
  h->errmsg[0] = 0;
  /* another connection (hubd's writer, the CLI) may have changed settings: drop what this
   * handle derived from them */
  if (hub__db_changed_elsewhere(h)) hub__weights_invalidate(h);
  h->body = body;
  res = dispatch(h, req);
  h->body = NULL;
  hub__console_note(h, req, res);
  cJSON_Delete(req);
  return print_or_oom(res);
}

char *hub_call_n(hub *h, const char *request_json, size_t len) { return call(h, request_json, len, NULL); }

char *hub_feed(hub *h, const char *request_json, size_t len, const char *body, size_t body_len) {
  hub__bytes b;
  if (!body && body_len) return print_or_oom(hub__error_json(HUB_E_BAD_REQUEST, "no body bytes"));
  b.p = body ? body : "";
  b.n = body_len;
  return call(h, request_json, len, &b);
}

char *hub_call(hub *h, const char *request_json) {
  return hub_call_n(h, request_json, request_json ? strlen(request_json) : 0);
}
