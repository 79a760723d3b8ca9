/*
 * api.h — the api layer's modules (not used below it): the command handlers that live in
 * src/api, the table of commands (api/commands.def) and the build's second table.
 */
#ifndef HUB_API_H
#define HUB_API_H

#include "hub_int.h"
#include "api/query.h"

#ifndef HUB_COUNT_MAX
#define HUB_COUNT_MAX 10000 /* cards' "total" and saved searches' counts stop counting here */
#endif

/* One command of the JSON API, as api/commands.def and api/server_commands.def declare it. */
typedef struct {
  const char *name;
  cJSON *(*fn)(hub *h, const cJSON *req);
  int writes;       /* 1: the command (or with `when`, the command given that member) writes */
  const char *when; /* NULL, or the request member that makes it write ("set") */
  const char *help;
} hub__command;

/* A table of commands: n entries at cmds (cmds may be NULL when n is 0). */
typedef struct {
  const hub__command *cmds;
  size_t n;
} hub__command_set;

/* The hook through which a build adds commands to those of api/commands.def: exactly one
 * object of the link defines it. Native builds (hub CLI, hubd, native tests) link
 * api/server_commands.c, whose set is api/server_commands.def; the browser module and the
 * wasm test programs link wasm/browser_commands.c, whose set is empty. hub_call dispatches
 * on both tables and meta lists both, so meta always tells the commands the running build
 * answers. Read-only, static storage. */
extern const hub__command_set hub__build_commands;

cJSON *hub__api_meta(hub *h, const cJSON *req);            /* meta.c */
cJSON *hub__api_settings(hub *h, const cJSON *req);        /* settings.c */
cJSON *hub__api_sync_start(hub *h, const cJSON *req);      /* api.c */
cJSON *hub__api_cards(hub *h, const cJSON *req);           /* cards.c */
cJSON *hub__api_card(hub *h, const cJSON *req);
cJSON *hub__api_first_screen(hub *h, const cJSON *req);
cJSON *hub__api_stats(hub *h, const cJSON *req);
cJSON *hub__api_last_run(hub *h, const cJSON *req);
cJSON *hub__api_runs(hub *h, const cJSON *req);
cJSON *hub__api_runs_prune(hub *h, const cJSON *req);
cJSON *hub__api_triage(hub *h, const cJSON *req);          /* inbox.c */
cJSON *hub__api_undo(hub *h, const cJSON *req);
cJSON *hub__api_searches(hub *h, const cJSON *req);
cJSON *hub__api_outbox(hub *h, const cJSON *req);

/* select.c: what a query (and the page's source filter) shows in the inbox. */
typedef struct {
  hub__query user, from; /* the compiled query and source filter */
  char *where;           /* both, and "open only" unless the query says otherwise */
} hub__sel;
/* Compiles query text q (NULL: none) and from ("all", "github", "tangled", "gfi" or NULL) into
 * *s. NULL on success (free with hub__sel_free), else the error answer — bad_query with the
 * message and "position" (a byte offset into q) — and *s needs no free. */
cJSON *hub__sel_compile(const char *q, const char *from, hub__sel *s);
void hub__sel_free(hub__sel *s);
/* Prepares "SELECT cols FROM items i LEFT JOIN triage t … WHERE <selection>" [ORDER BY the
 * query's order when ordered] [LIMIT limit when limit >= 0], bound (now in ms for :now).
 * Give the statement back with hub__db_done. NULL on error (h->errmsg). */
sqlite3_stmt *hub__sel_prepare(hub *h, const hub__sel *s, const char *cols, int ordered, int64_t now,
                               int64_t limit);
/* How many items the selection has, counting at most cap (a count scans), or -1. */
int64_t hub__sel_count(hub *h, const hub__sel *s, int64_t now, int64_t cap);

/* console.c: the insight console's events, data quality, health and the user's data; and the
 * hook hub_call uses to record a command that failed as an "error" event. */
cJSON *hub__api_events(hub *h, const cJSON *req);
cJSON *hub__api_data_quality(hub *h, const cJSON *req);
cJSON *hub__api_health(hub *h, const cJSON *req);
cJSON *hub__api_export(hub *h, const cJSON *req);
cJSON *hub__api_import(hub *h, const cJSON *req);
cJSON *hub__api_purge(hub *h, const cJSON *req);
void hub__console_note(hub *h, const cJSON *req, const cJSON *res);

/* markdown.c: markdown (raw HTML off) into a JSON array of whitelisted nodes. New array, NULL
 * on OOM. md need not be NUL-terminated. */
cJSON *hub__markdown_ast(const char *md, size_t len);

#endif
