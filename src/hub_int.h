/*
 * hub_int.h — declarations shared between the core's modules (not public).
 *
 * Layers inside the core:
 *   mem.c    allocation door and the error table
 *   util.c   small pure helpers: time parsing, hashes, URLs, Link headers, buffers
 *   store.c  SQLite schema, migrations, items, validators, runs, settings
 *   score.c  the importance score and its explanation
 *   sync.c   the sans-I/O run engine: task queue, retries, rate limits, feed/next
 *   github.c the GitHub source: what to request and how to read the answers
 *   api.c    the JSON command dispatcher (hub_call)
 *
 * Ownership: functions returning char* return hub_malloc'd memory the caller frees with
 * hub_free unless their comment says otherwise. cJSON objects follow cJSON's rules.
 */
#ifndef HUB_INT_H
#define HUB_INT_H

#include <stddef.h>
#include <stdint.h>
#include "hub.h"
#include "sqlite3.h"
#include "cJSON.h"

/* ---- limits (every buffer has a ceiling) ------------------------------------------------- */
#ifndef HUB_MAX_BODY
#define HUB_MAX_BODY (16u * 1024u * 1024u)   /* largest response body fed to a source */
#endif
#ifndef HUB_MAX_REQUEST
#define HUB_MAX_REQUEST (HUB_MAX_BODY * 2u + 65536u) /* largest hub_call request (escaped body) */
#endif
#ifndef HUB_MAX_ITEMS_PER_PAGE
#define HUB_MAX_ITEMS_PER_PAGE 1000
#endif
#ifndef HUB_MAX_TASKS
#define HUB_MAX_TASKS 5000                   /* planned requests per run */
#endif
#ifndef HUB_MAX_FIELD
#define HUB_MAX_FIELD (256u * 1024u)         /* longest title/body/label string kept */
#endif
#define HUB_MAX_RETRIES 3                    /* 5xx and network errors */
#define HUB_MAX_RATE_WAITS 5                 /* 403/429 waits for one request */
#define HUB_CARDS_MAX 200

/* ---- errors: one list, one table ------------------------------------------------------- */
#define HUB_ERRNO_MAP(X)                                           \
  X(OK, "ok", "ok")                                                \
  X(NOMEM, "nomem", "out of memory")                               \
  X(BAD_REQUEST, "bad_request", "bad request")                     \
  X(BAD_JSON, "bad_json", "malformed JSON")                        \
  X(BAD_TYPE, "bad_type", "a field has the wrong type")            \
  X(TOO_BIG, "too_big", "input over the size limit")               \
  X(DB, "db", "database error")                                    \
  X(STATE, "state", "command not valid in this state")             \
  X(NOT_FOUND, "not_found", "not found")                           \
  X(TOKEN_REJECTED, "token_rejected", "token rejected")            \
  X(UPSTREAM, "upstream", "unexpected upstream answer")

typedef enum {
#define X(name, code, msg) HUB_E_##name,
  HUB_ERRNO_MAP(X)
#undef X
  HUB_E__COUNT
} hub_err;

const char *hub__err_code(hub_err e);
const char *hub__err_msg(hub_err e);

/* ---- memory ---------------------------------------------------------------------------- */
void *hub__malloc(size_t n);
void *hub__realloc(void *p, size_t n);
char *hub__strdup(const char *s);
char *hub__strndup(const char *s, size_t n);
/* Formats into a new string (NULL on OOM). */
char *hub__printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Adds item to object o under key k (or to array a), taking ownership: on any failure,
 * including a NULL o or a, the item is deleted. */
void hub__put(cJSON *o, const char *k, cJSON *item);
void hub__push(cJSON *a, cJSON *item);
/* Points cJSON's allocator at the door; idempotent. */
void hub__mem_init(void);

/* ---- growable byte buffer with a ceiling ----------------------------------------------- */
typedef struct {
  char *p;
  size_t len, cap, max;
  int failed; /* set once an append failed (OOM or over max); further appends are ignored */
} hub__buf;
void hub__buf_init(hub__buf *b, size_t max);
void hub__buf_add(hub__buf *b, const char *s, size_t n);
void hub__buf_str(hub__buf *b, const char *s);
void hub__buf_free(hub__buf *b);

/* ---- util ------------------------------------------------------------------------------ */
/* Parses an ISO-8601 UTC timestamp "YYYY-MM-DDTHH:MM:SS(.fff)?(Z|±hh:mm)" into seconds since
 * the epoch; returns 0 and sets *out, or -1 if malformed. */
int hub__parse_iso8601(const char *s, int64_t *out);
/* Formats seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" into buf (>= 21 bytes). */
void hub__fmt_iso8601(int64_t t, char *buf);
/* 64-bit FNV-1a, continued from h (start with HUB_FNV_INIT). */
#define HUB_FNV_INIT 0xcbf29ce484222325ULL
uint64_t hub__fnv1a(uint64_t h, const void *p, size_t n);
/* SHA-256 of p[0..n) as 64 lowercase hex digits + NUL into hex (65 bytes). */
void hub__sha256_hex(const void *p, size_t n, char hex[65]);
/* Finds the rel="next" target in a Link header value; returns a new string or NULL. */
char *hub__link_next(const char *link);
/* Percent-encodes s for a query component (RFC 3986 unreserved kept). New string or NULL. */
char *hub__url_encode(const char *s);
/* Splits an absolute URL into host (without port) and the rest; returns 0 or -1. hostbuf
 * receives at most hostlen-1 bytes. *path points into url at the first '/' after the host. */
int hub__url_host(const char *url, char *hostbuf, size_t hostlen, const char **path);
/* Deterministic PRNG (xorshift64*), state must be non-zero. */
uint64_t hub__rand(uint64_t *state);

/* ---- store ----------------------------------------------------------------------------- */
#define HUB_SCHEMA_VERSION 6

/* An item as read from any source. Fields with their bit clear in `has` are unknown and
 * leave the stored value alone when merged. Strings are borrowed (owned by the caller). */
enum {
  HUB_F_KIND = 1 << 0, HUB_F_TITLE = 1 << 1, HUB_F_BODY = 1 << 2, HUB_F_STATE = 1 << 3,
  HUB_F_AUTHOR = 1 << 4, HUB_F_LABELS = 1 << 5, HUB_F_ASSIGNEES = 1 << 6,
  HUB_F_COMMENTS = 1 << 7, HUB_F_REACTIONS = 1 << 8, HUB_F_CREATED = 1 << 9,
  HUB_F_UPDATED = 1 << 10, HUB_F_URL = 1 << 11, HUB_F_UNREAD = 1 << 12
};
typedef struct {
  unsigned has;
  const char *key;     /* stable key: "github.com/owner/repo#12" */
  const char *source;  /* "github" */
  const char *host, *repo;
  int64_t number;
  const char *kind, *title, *body, *state, *author;
  const char *labels;    /* JSON array text of strings */
  const char *assignees; /* JSON array text of strings */
  int64_t comments, reactions;
  int64_t created_at, updated_at; /* seconds since epoch */
  const char *url;
  int unread;
  const char *reason;  /* one reason to add to the item's set, or NULL */
} hub__item;

typedef enum { HUB_UPSERT_UNCHANGED, HUB_UPSERT_NEW, HUB_UPSERT_UPDATED } hub__upsert_result;

struct hub__sync; /* sync.c */

struct hub {
  sqlite3 *db;
  struct hub__sync *sync; /* NULL when no run is active */
  char errmsg[512];       /* detail of the last error */
  /* prepared statements, created lazily by store.c */
  sqlite3_stmt *st_item_get, *st_item_ins, *st_item_upd, *st_reason_ins, *st_reason_has;
  struct hub__weights *weights; /* cached by score.c; NULL until loaded */
};

int hub__store_open(hub *h, const char *path, const char *vfs);
void hub__store_close(hub *h);
/* Transactions for one batch. begin returns 0 or -1 (message in h->errmsg). */
int hub__store_begin(hub *h);
int hub__store_commit(hub *h);
void hub__store_rollback(hub *h);
/* Merges it into the stored row (creating it), writing only when the content hash
 * changed; *res says which. now_s stamps first/last seen. Returns 0 or -1. */
int hub__store_upsert(hub *h, const hub__item *it, int64_t now_s, hub__upsert_result *res);
/* Settings (key/value text). get returns a new string or NULL when unset. */
char *hub__setting_get(hub *h, const char *k);
int hub__setting_set(hub *h, const char *k, const char *v);
double hub__setting_num(hub *h, const char *k, double dflt);
/* Validator cache, per (token hash, URL). Strings out are new (or NULL). */
int hub__validator_get(hub *h, const char *tok, const char *url, char **etag, char **lastmod,
                       char **next);
int hub__validator_put(hub *h, const char *tok, const char *url, const char *etag,
                       const char *lastmod, const char *next);
/* Recomputes every item's stored score (after weights change). */
int hub__store_rescore(hub *h);
/* Runs one SQL statement without results; 0 or -1 with h->errmsg set. */
int hub__exec(hub *h, const char *sql);
void hub__set_err(hub *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- score ----------------------------------------------------------------------------- */
typedef struct hub__weights {
  double decay_days;   /* recency halves... decays as exp(-age/decay_days) */
  double engagement_w; /* engagement = 1 + engagement_w * ln(1 + comments + reactions) */
  double user_weight;  /* contributor weight of the user themself */
  double bug_weight;   /* label multiplier for "bug" */
  cJSON *label_weights;/* {"label": multiplier}, lower-case keys */
  cJSON *contributors; /* {"login": weight}, from the contributors table and the user */
} hub__weights;
typedef struct {
  double recency, engagement, labels, contributor, base, score, age_days;
  double activity; /* the repo factor of good-first issues (1 for others); set by the caller */
} hub__factors;
/* The weights in force, loaded from settings on first use and cached on h until
 * hub__weights_invalidate(h). Never NULL (defaults on any failure). */
const hub__weights *hub__weights_get(hub *h);
void hub__weights_invalidate(hub *h);
/* Contributor weight for a login (1.0 when unknown). */
double hub__contributor(const hub__weights *w, const char *login);
/* Multiplier product for a JSON array text of labels (case-insensitive). */
double hub__label_mult(const hub__weights *w, const char *labels_json);
/* base = engagement × labels × contributor; rank = ln(base) + updated/decay, so that
 * ordering by rank equals ordering by score at any "now". */
double hub__score_base(const hub__weights *w, int64_t comments, int64_t reactions,
                       double label_mult, double contributor);
double hub__score_rank(const hub__weights *w, double base, int64_t updated_s);
double hub__score_at(const hub__weights *w, double rank, int64_t now_s);
void hub__score_explain(const hub__weights *w, int64_t comments, int64_t reactions,
                        double label_mult, double contributor, int64_t updated_s,
                        int64_t now_s, hub__factors *f);

/* ---- sync ------------------------------------------------------------------------------ */
cJSON *hub__sync_start(hub *h, const cJSON *req);
cJSON *hub__sync_next(hub *h, const cJSON *req);
cJSON *hub__sync_feed(hub *h, const cJSON *req);
cJSON *hub__sync_abort(hub *h, const cJSON *req);
void hub__sync_free(hub *h);

/* ---- markdown ------------------------------------------------------------------------- */
/* Parses markdown (raw HTML off) into a JSON array of whitelisted nodes; see markdown.c.
 * Returns a new cJSON array, or NULL on OOM. */
cJSON *hub__markdown_ast(const char *md, size_t len);

/* ---- tip (tip.c) ---------------------------------------------------------------------- */
/* "One tip": features, policies, exploration, logs, offline evaluation, simulator. Commands
 * (request → response; "user" defaults to the github_user setting, "now" is ms):
 *   {"cmd":"tip","now":ms[,"seed":n,"tz_offset_min":m,"debug":true]}
 *       → {"tip":{key,title,repo,url,kind,number,labels}|null,"why":"…","decision":id,
 *          "policy":"linucb","propensity":p,"score":s,"explored":bool,"candidates":n,"fallback":[..]}
 *   {"cmd":"tip_feedback","decision":id,"now":ms,"reaction":"done|snooze|dismiss|helpful|
 *       not_helpful"[,"snooze_until":ms,"latency_us":n]} → {"ok":true,"reward":r,"updates":n,..}
 *   {"cmd":"tip_stats"[,"recent":20]} → {"policies":[{name,enabled,serving,pulls,rewarded,
 *       reward_sum,reward_mean}],"reactions":{..},"model":{theta,..},"features":[..],"recent":[..]}
 *   {"cmd":"tip_reset"[,"logs":true,"items":true]} → {"ok":true,"models":n,"decisions":n,..}
 *   {"cmd":"tip_policies"[,"set":{"serve","enabled":{name:bool},"explore","alpha","epsilon",
 *       "temperature","lambda","gamma","tz_offset_min","rewards":{..}}]} → the configuration
 *   {"cmd":"tip_eval","source":"log","policy":"score_greedy"}
 *   {"cmd":"tip_eval","source":"obd","csv":"…","policy":"uniform|item:K|affinity"[,"position":1]}
 *       → {"events","matched","replay","ipw","snipw","logged"}
 *   {"cmd":"tip_simulate"[,"steps","users","candidates","seed","alpha","epsilon","explore",..]}
 *       → {"regret":{policy:x},"reward":{policy:x}} */
#define HUB_TIP_D 16
enum {
  HUB_TIPF_REVIEW = 1 << 0, HUB_TIPF_MENTION = 1 << 1, HUB_TIPF_ASSIGNED = 1 << 2,
  HUB_TIPF_AUTHORED = 1 << 3, HUB_TIPF_NOTIFY = 1 << 4, HUB_TIPF_GFI = 1 << 5,
  HUB_TIPF_BUG = 1 << 6, HUB_TIPF_BLOCKING = 1 << 7, HUB_TIPF_OWN_REPO = 1 << 8
};
/* What the features are built from (ages in days; importance = hub's score now). */
typedef struct {
  double age_days, stale_days, engagement, importance;
  unsigned flags; /* HUB_TIPF_* */
} hub__tip_item;
/* Fills x[HUB_TIP_D] for an item at a local hour (0–23) and weekday (0 = Sunday); ‖x‖ ≤ 1. */
void hub__tip_features(const hub__tip_item *it, int hour, int weekday, double *x);
cJSON *hub__tip_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_feedback_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_stats_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_reset_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_policies_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_eval_cmd(hub *h, const cJSON *req);
cJSON *hub__tip_simulate_cmd(hub *h, const cJSON *req);
/* Off-policy estimates of a target policy's value. */
typedef struct {
  long n, matched;  /* events used; events where the target's choice equals the logged one */
  double replay, ipw, snipw, logged; /* logged = mean reward of the logging policy */
  int actions;      /* OBD: number of actions assumed for "uniform" */
} hub__ope;
/* Open Bandit Dataset CSV text (columns item_id, position, click, propensity_score,
 * user-item_affinity_K) evaluated for policy "uniform", "item:K" or "affinity" (argmax of
 * the row's affinities, lowest id on ties); position 0 = all rows, else only that position;
 * seed drives "uniform"'s replay draws; actions 0 = max item_id + 1. Returns 0, or -1 with a
 * message in err. */
int hub__ope_obd(const char *csv, size_t len, const char *policy, int position, uint64_t seed,
                 int actions, hub__ope *out, char *err, size_t errlen);
/* The same over hub's own log for one of the tip policies. Returns 0 or -1 (h->errmsg). */
int hub__ope_log(hub *h, const char *user, const char *policy, hub__ope *out);
/* The simulator (see tip.c). Regret and reward are per-user means of the cumulative sums. */
enum { HUB_SIM_RANDOM, HUB_SIM_GREEDY, HUB_SIM_SEED, HUB_SIM_LINUCB, HUB_SIM_POLICIES };
typedef struct {
  int steps, users, candidates, softmax;
  uint64_t seed;
  double alpha, epsilon, temperature, lambda, gamma;
} hub__sim_cfg;
typedef struct {
  double regret[HUB_SIM_POLICIES], reward[HUB_SIM_POLICIES];
} hub__sim_result;
extern const char *const hub__sim_policy_names[HUB_SIM_POLICIES];
void hub__sim_defaults(hub__sim_cfg *cfg);
int hub__tip_simulate(const hub__sim_cfg *cfg, hub__sim_result *res);
/* ---- end tip ---------------------------------------------------------------------------- */

/* ---- gfi (gfi.c) ---- */
/* Good-first-issue lists (awesome-for-beginners data.json, up-for-grabs, the user's search):
 *   {"cmd":"gfi_repos","source":"up-for-grabs","now":ms,"repos":[{"owner","name","label",
 *       "tags":[..]}][,"skipped":{"reason":n}]}
 *       → {"source","new","updated","unchanged","skipped","skip_reasons":{..}} (one batch:
 *         bad input rolls it back; odd entries are skipped with a reason)
 *   {"cmd":"gfi_repos"} → {"repos":[{owner,name,label,technologies,languages,lists,source,
 *       activity}]} (ordered by id) */
cJSON *hub__gfi_repos_cmd(hub *h, const cJSON *req);
/* score.c: the repo-activity factor of a good-first issue: 1 + 0.25·ln(1 + n), at most 2,
 * where n counts the repo's listed beginner issues updated within 30 days of its newest one. */
double hub__gfi_activity(int64_t recent_issues);
/* ---- end gfi ---------------------------------------------------------------------------- */

/* ---- api helpers ----------------------------------------------------------------------- */
cJSON *hub__error_json(hub_err e, const char *detail);

#endif
