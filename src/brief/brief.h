/*
 * brief.h — the briefing and the AI queue (brief layer: above tip, below api; may call items,
 * rank, db and base, never tip or api).
 *
 *   schema.c   THE schema of every AI-shaped output, declared once as a tree of hub__snode:
 *              the briefing, a good-first issue's intro, a repository's summary. One validator
 *              walks it for the rule-built and the LLM-built outputs alike (types, lengths in
 *              characters, enum values, item keys that must be among the given items, values
 *              that must be unique, no unknown or duplicate members); hubd builds the strict
 *              JSON schema its LLM client sends from the same tree (src/server/brief_llm.c),
 *              so the two cannot drift.
 *   brief.c    the rule-built briefing (a headline and four themed sections from the ranked
 *              open items), its hash, the cache of rule- and LLM-built briefings (table
 *              `briefings`, owned here) and the commands brief and brief_llm.
 *   aiqueue.c  the AI queue: entities (a good-first issue, a repository) enqueued when their
 *              content hash changed, claimed in batches, retried at most HUB_AI_ATTEMPTS times,
 *              stale claims reset; validated outputs stored (tables `ai_queue`, `ai_outputs`,
 *              owned here). Commands ai_enqueue, ai_claim, ai_done, queue, ai.
 *
 * The core never calls an LLM: hubd's driver (src/server/brief_llm.c) reads what to ask through
 * these commands, calls the provider, and hands the answer back to be validated and stored.
 * Ownership: cJSON results are new trees the caller deletes; strings follow base.h's rules.
 */
#ifndef HUB_BRIEF_H
#define HUB_BRIEF_H

#include "hub_int.h"

/* ---- limits ----------------------------------------------------------------------------- */
#ifndef HUB_BRIEF_SCAN
#define HUB_BRIEF_SCAN 200            /* ranked open items the briefing reads (the cards) */
#endif
#ifndef HUB_BRIEF_PER_SECTION
#define HUB_BRIEF_PER_SECTION 5       /* items per section */
#endif
#ifndef HUB_BRIEF_LLM_TTL_MS
#define HUB_BRIEF_LLM_TTL_MS (4LL * 3600 * 1000) /* an LLM briefing is served this long */
#endif
#ifndef HUB_BRIEF_KEEP
#define HUB_BRIEF_KEEP 64             /* rows kept in `briefings` */
#endif
#ifndef HUB_BRIEF_EXCERPT
#define HUB_BRIEF_EXCERPT 600         /* bytes of an item's body handed out with "texts" */
#endif
#ifndef HUB_SCHEMA_MAX_UNIQUE
#define HUB_SCHEMA_MAX_UNIQUE 64      /* unique values tracked while validating one output */
#endif
#ifndef HUB_SCHEMA_MAX_DEPTH
#define HUB_SCHEMA_MAX_DEPTH 8
#endif
#ifndef HUB_AI_ATTEMPTS
#define HUB_AI_ATTEMPTS 3             /* attempts per queue entry, the first included */
#endif
#ifndef HUB_AI_STALE_MS
#define HUB_AI_STALE_MS (30LL * 60 * 1000) /* a claim older than this goes back to pending */
#endif
#ifndef HUB_AI_BATCH
#define HUB_AI_BATCH 10               /* entries per claim */
#endif
#ifndef HUB_AI_SCAN
#define HUB_AI_SCAN 200               /* good-first issues looked at per enqueue */
#endif
#ifndef HUB_AI_REPO_TITLES
#define HUB_AI_REPO_TITLES 10         /* issue titles a repository summary is asked about */
#endif

/* ---- the schema (schema.c) -------------------------------------------------------------- */
typedef enum { HUB_SN_OBJECT, HUB_SN_ARRAY, HUB_SN_STRING, HUB_SN_INT, HUB_SN_ENUM } hub__sntype;
enum {
  HUB_SF_NULLABLE = 1 << 0, /* null is allowed (strict schemas: a union with "null") */
  HUB_SF_ITEM_KEY = 1 << 1, /* a string that must be one of the keys given to the validator */
  HUB_SF_UNIQUE = 1 << 2,   /* no two values of this node alike in one output */
  HUB_SF_ONELINE = 1 << 3   /* no control characters (line breaks included) */
};
/* One node of a schema. Objects list their properties in children[0..n) (every one required,
 * no other member allowed); an array's one element node is children[0]. min/max bound a
 * string's length in characters, an integer's value, or an array's number of elements. */
typedef struct hub__snode {
  const char *name;        /* property name inside its object; NULL for a root or an element */
  hub__sntype type;
  const char *description; /* for people and for the LLM */
  int64_t min, max;
  const char *const *values; /* HUB_SN_ENUM: the allowed strings */
  size_t nvalues;
  const struct hub__snode *children;
  size_t n;
  unsigned flags;
} hub__snode;

/* The roots: what a briefing, a good-first intro and a repository summary are. */
extern const hub__snode hub__schema_brief, hub__schema_gfi_intro, hub__schema_repo_summary;
/* The schema with that name ("briefing", "gfi_intro", "repo_summary"), or NULL. */
const hub__snode *hub__schema_find(const char *name);
/* The enum node of the briefing's sections with property name ("kind", "accent", "icon"). */
const hub__snode *hub__schema_brief_enum(const char *name);

/* Validates v against schema s. keys[0..nkeys) are the item keys an HUB_SF_ITEM_KEY string
 * may take (borrowed). Returns 0, or -1 with the first problem and where it is
 * ("$.sections[1].items[0].key: not one of the briefing's items") in err. */
int hub__schema_validate(const hub__snode *s, const cJSON *v, const char *const *keys, size_t nkeys, char *err,
                         size_t errlen);
/* The schema as a plain description for the meta command: {type, description, min, max,
 * values, properties|items, nullable, item_key, unique, oneline}. New tree, NULL on OOM. */
cJSON *hub__schema_json(const hub__snode *s);

/* ---- the briefing (brief.c) -------------------------------------------------------------- */
/* Commands (api/commands.def):
 *   brief      {"now"[, "refresh":true][, "source":"rules"][, "texts":true]} → {"brief":{headline,
 *              sections, source, model, at, hash, items:{key:{title, repo, number, kind, url,
 *              source, state, labels[, excerpt]}}}, "llm": latest LLM attempt for these items or
 *              null[, "changed"]}. With refresh, the rule-built briefing is stored when its hash
 *              is new (changed: true).
 *   brief_llm  {"now", "hash", "prompt_hash", "model", "briefing":{...}[, "retry_at"]} stores an
 *              LLM briefing after validating it against the schema and the current items (refused
 *              with the problem's path otherwise, the refusal recorded with retry_at); {"now", "hash",
 *              "prompt_hash", "model", "error":{"kind","message"}, "retry_at"} records a failed
 *              attempt. */
cJSON *hub__brief_cmd(hub *h, const cJSON *req);
cJSON *hub__brief_llm_cmd(hub *h, const cJSON *req);

/* Stores an LLM briefing another database (the hubd this one follows) wrote for the items of
 * hash, unless the same one (hash, created_at) is stored already; it is served, like any, only
 * while fresh and valid for the items here. json must be a JSON object's text. 1 stored, 0
 * already there, -1 on error. */
int hub__brief_import(hub *h, const char *hash, const char *prompt_hash, const char *json, const char *model,
                      int64_t created_at);

/* ---- the AI queue (aiqueue.c) ------------------------------------------------------------ */
/* Commands:
 *   ai_enqueue {"now"} enqueues every open good-first issue (intro) and its repository
 *              (summary) whose content hash changed → {"enqueued", "unchanged"}
 *   ai_claim   {"now"[, "limit" ≤ HUB_AI_BATCH]} resets stale claims, then claims the best
 *              pending entries → {"entries":[{id, kind, entity, hash, attempts, input}], "reset"}
 *   ai_done    {"id", "now", "hash", "model", "output"} validates and stores an output;
 *              {"id", "now", "error":{"kind","message"}[, "release":true]} records a failure
 *              (release: given back unattempted, e.g. out of time) → {"state"}
 *   queue      {"limit"} → {"counts":{pending, processing, completed, failed}, "entries":[…]}
 *   ai         {"entity"} → {"outputs":[…]}, or every output ({"limit"}) */
cJSON *hub__ai_enqueue_cmd(hub *h, const cJSON *req);
cJSON *hub__ai_claim_cmd(hub *h, const cJSON *req);
cJSON *hub__ai_done_cmd(hub *h, const cJSON *req);
cJSON *hub__ai_queue_cmd(hub *h, const cJSON *req);
cJSON *hub__ai_cmd(hub *h, const cJSON *req);
/* Stores an output another database (the hubd this one follows) made for entity, after
 * validating it against kind's schema, unless the same one (hash, created_at) is there. 1
 * stored, 0 already there, -1 on error (h->errmsg: an unknown kind, an invalid output). */
int hub__ai_import(hub *h, const char *kind, const char *entity, const char *hash, const cJSON *output,
                   const char *model, int64_t created_at);
/* The queue's counts per state ({pending, processing, completed, failed}); new object. */
cJSON *hub__ai_counts(hub *h);
/* The stored output of kind for entity as {kind, hash, model, at, ...output}, or NULL. */
cJSON *hub__ai_output(hub *h, const char *kind, const char *entity);

#endif
