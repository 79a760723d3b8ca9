/*
 * db.h — the database layer: opening and migrating hub's SQLite file, a statement cache with
 * one binder, transactions, and the settings key/value store with its table of definitions.
 *
 * Which module owns which table (the only module that writes it):
 *   settings                     db/kv.c (values) — validated by api/settings.c
 *   items, item_reasons          items/items.c
 *   contributors                 rank/weights.c
 *   validators, runs, gone       sync/engine.c, sync/runs.c
 *   job_runs                     sync/jobs.c
 *   at_*                         sources/atproto.c
 *   repos, gfi_issues            sources/gfi.c
 *   activity_*                   sources/activity_store.c
 *   tip_*                        tip/
 *   saved_queries                db/rosql.c
 * db/dump.c alone reads and writes every table as a whole: export, import and purge of the
 * user's data (like a migration, it owns no table and changes them all).
 *   briefings                    brief/brief.c
 *   ai_queue, ai_outputs         brief/aiqueue.c
 *   triage, triage_log, searches triage/triage.c
 *   outbox                       triage/outbox.c
 *   gh_threads                   sources/github.c (read by triage/ to know an item's thread)
 *   push_subs                    notify/subs.c
 *   push_log, push_deliveries    notify/plan.c (and the "push.*" state keys in settings)
 *   replica_self, replica_log,   replica/ (filled by triggers of migration 15; the stamps also
 *   replica_stamps               by replica/apply.c)
 * The schema (every CREATE) lives in db/schema.c, one migration per step, each naming the
 * module it is for.
 *
 * Ownership: statements returned by hub__db_q belong to the cache (or are one-shot); give
 * them back with hub__db_done, never sqlite3_finalize. Strings returned are hub_free'd.
 */
#ifndef HUB_DB_H
#define HUB_DB_H

#include "hub_int.h"

/* "hubb" — PRAGMA application_id of a hub database. */
#define HUB_APP_ID 0x68756262
#ifndef HUB_STMT_CACHE
#define HUB_STMT_CACHE 96
#endif

/* Opens the database at path (":memory:" works) with vfs (NULL for SQLite's default) into
 * h->db. Before changing anything it checks the file is hub's (application_id, or an older
 * hub database recognised by its tables) and not newer than this build, then checks its
 * integrity (quick_check), turns on WAL where the VFS supports it, and migrates. A file that
 * cannot be written is opened read-only (h->readonly; no migration possible then). Returns 0,
 * or -1 with a message in h->errmsg that names the path. */
int hub__db_open(hub *h, const char *path, const char *vfs);
/* Finalizes every cached statement and closes the database. Safe to call twice. */
void hub__db_close(hub *h);
/* 1 when another connection committed to the database since the last call (PRAGMA
 * data_version, cheap: no page is read) — the moment to drop caches derived from it; also 1 on
 * the first call. 0 otherwise, and on error. */
int hub__db_changed_elsewhere(hub *h);
/* The number of schema steps this build knows (PRAGMA user_version after migrating). */
int hub__db_schema_version(void);

/* One batch: begin (IMMEDIATE), commit (rolls back when the commit fails), rollback (a no-op
 * outside a transaction). begin/commit return 0 or -1 (h->errmsg). */
int hub__db_begin(hub *h);
int hub__db_commit(hub *h);
void hub__db_rollback(hub *h);
/* 1 inside a transaction. */
int hub__db_in_tx(hub *h);

/* Runs SQL without results (several statements allowed). 0 or -1 (h->errmsg). */
int hub__db_exec(hub *h, const char *sql);

/* The one binder. Prepares sql and binds the arguments by the letters of types:
 *   'i' int64_t   'd' double   't' const char * (NULL binds NULL)   'b' const void *, int64_t len
 * sql is cached by its address: pass string literals (or other static text). A statement
 * already in use (a nested call with the same SQL) is prepared afresh. Returns the statement,
 * or NULL with h->errmsg set. */
sqlite3_stmt *hub__db_q(hub *h, const char *sql, const char *types, ...);
/* The same for SQL text built at run time (never cached). */
sqlite3_stmt *hub__db_q_dyn(hub *h, const char *sql, const char *types, ...);
/* Gives a statement back (reset for the cache, or finalized). NULL is a no-op. */
void hub__db_done(hub *h, sqlite3_stmt *st);
/* Runs a statement without results. Returns the number of rows changed, or -1 (h->errmsg). */
int hub__db_run(hub *h, const char *sql, const char *types, ...);
/* The first column of the first row: as a new string (NULL when no row, NULL, or error), or
 * as an integer (dflt when no row or error). */
char *hub__db_str(hub *h, const char *sql, const char *types, ...);
int64_t hub__db_int(hub *h, const char *sql, const char *types, int64_t dflt, ...);
/* Sets h->errmsg from the connection's last error ("sqlite: ..."). Returns -1. */
int hub__db_fail(hub *h);
/* A copy of column i as a new string, or NULL. */
char *hub__db_col_dup(sqlite3_stmt *st, int i);

/* ---- settings (db/kv.c) --------------------------------------------------------------- */
/* The kinds of setting values and the checks api/settings.c applies before storing one. */
typedef enum { HUB_SK_STR, HUB_SK_SECRET, HUB_SK_BOOL, HUB_SK_NUM, HUB_SK_LIST, HUB_SK_MAP, HUB_SK_ENUM } hub__skind;
typedef enum {
  HUB_SC_NONE, HUB_SC_URL, HUB_SC_LOGIN, HUB_SC_HANDLE, HUB_SC_GH_REPOS, HUB_SC_TG_REPOS,
  HUB_SC_RANGE, HUB_SC_WEIGHTS, HUB_SC_TEXT, HUB_SC_CHOICE
} hub__scheck;
/* One setting, as declared in db/settings.def. dflt is the value shown and used when unset
 * (NULL: none); for HUB_SC_CHOICE, choices lists the allowed values separated by '|'. */
typedef struct {
  const char *key;
  hub__skind kind;
  const char *dflt;
  int rescore;        /* changing it rescores every item */
  const char *owner;  /* the module that reads it */
  hub__scheck check;
  double min, max;    /* HUB_SC_RANGE */
  const char *choices;
  const char *help;   /* one line for people */
} hub__setting_def;

/* The declared settings (n set to their number). */
const hub__setting_def *hub__settings(size_t *n);
/* The declaration of key, or NULL. */
const hub__setting_def *hub__setting_def_of(const char *key);
/* The stored text of any key (declared or internal state such as "tip.alpha"), NULL when
 * unset. New string. */
char *hub__kv_get(hub *h, const char *k);
/* Stores v under k (NULL deletes). 0 or -1 (h->errmsg). */
int hub__kv_set(hub *h, const char *k, const char *v);
/* The stored number under k, or dflt when unset, malformed or not finite. */
double hub__kv_num(hub *h, const char *k, double dflt);
/* A declared setting's value: stored, else its default (NULL when neither). New string. */
char *hub__setting_get(hub *h, const char *k);
/* A declared number setting: stored, else its default, clamped to its range. */
double hub__setting_num(hub *h, const char *k);
/* A declared boolean setting: 1 or 0. */
int hub__setting_on(hub *h, const char *k);
/* Stores a declared setting (no check here: api/settings.c checks). 0 or -1. */
int hub__setting_set(hub *h, const char *k, const char *v);

/* ---- the insight console's SQL and the user's data (db/rosql.c, db/dump.c) ---------------- */
/* {"cmd":"sql","sql","limit"} → {"columns","rows","row_count","truncated",…}: one statement that
 * only reads, under a cap on rows and on work (see rosql.c); writes are refused (readonly). */
cJSON *hub__sql_cmd(hub *h, const cJSON *req);
/* {"cmd":"saved_queries"[,"set":{"name","sql"|null}]} → {"queries":[{id,name,sql,builtin}]}. */
cJSON *hub__saved_queries_cmd(hub *h, const cJSON *req);
/* Every table the user owns as {"hub_export":1,"schema":n,"tables":{name:{"columns":[..],
 * "rows":[[..]..]}},"omitted":[..]} — all tables but the validators (rebuilt by the next sync),
 * settings without secrets (the token). New object, or NULL with h->errmsg set. */
cJSON *hub__db_export(hub *h);
/* Replaces the user's data with an export's, in one transaction: every exported table is
 * emptied and refilled (secret settings stay as they are; validators are emptied). Tables and
 * columns are matched by name against this schema; unknown ones are refused. Returns the
 * number of rows written, or -1 with h->errmsg set (nothing changed). */
int64_t hub__db_import(hub *h, const cJSON *data);
/* Deletes every row of every table (the validators too, so the next sync starts afresh; the
 * saved queries hub ships with stay), with secure_delete and then VACUUM so no old content
 * stays in the file.
 * Returns the number of rows deleted, or -1 with h->errmsg set (nothing changed). */
int64_t hub__db_purge(hub *h);
/* The database's size: page_count × page_size (bytes), and the free pages' share. */
int64_t hub__db_size(hub *h, int64_t *page_count, int64_t *page_size, int64_t *freelist);

#endif
