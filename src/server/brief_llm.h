/*
 * brief_llm.h — hubd's AI work: the LLM-refined briefing and the AI queue's runs (native driver
 * layer; the core's side is src/brief/).
 *
 * The core decides what to ask and checks what comes back; this driver only builds prompts
 * from what the core hands out, calls the LLM (llm.h) and hands the answer back:
 *
 *   hubd_brief_run    brief {refresh} → the rule-built briefing and its hash (stored when new)
 *                     → unless an LLM attempt with the same items + prompt is fresh (an answer
 *                     less than HUB_BRIEF_LLM_TTL_MS old) or backing off after a failure, one
 *                     LLM call → brief_llm stores the answer (validated by the core against the
 *                     one schema and the items; refused otherwise) or the failure with its kind.
 *                     The rule-built briefing stands whatever happens.
 *   hubd_aiqueue_run  ai_enqueue → ai_claim (batches of HUB_AI_BATCH) → one LLM call per entry
 *                     → ai_done (the output, validated by the core, or the failure) until the
 *                     queue is empty or the time budget is spent (claimed entries left over are
 *                     released unattempted). A quota or key error ends the run at once.
 *
 * Both run on a thread of the caller's (the scheduler's, or an HTTP thread for POST /api/brief
 * and POST /api/ai) and reach the core only through env->call, which on hubd is the writer
 * (hubd_writer_call): an LLM call never holds the writer. Prompts hold item text quoted with
 * hub_llm_quote_untrusted (length-capped, delimited) and the item keys as JSON strings; never a
 * token or a key: the strict JSON schema sent with the call is built from the core's schema
 * tree (brief/brief.h) with llm.h's builders, the briefing's item keys as an enum.
 *
 * Ownership: results are new cJSON trees the caller deletes.
 */
#ifndef HUBD_BRIEF_LLM_H
#define HUBD_BRIEF_LLM_H

#include <stdatomic.h>
#include <stdint.h>
#include "cJSON.h"
#include "hub.h"
#include "llm.h"

#ifndef HUBD_BRIEF_MAX_TOKENS
#define HUBD_BRIEF_MAX_TOKENS 2000        /* output ceiling of a briefing call */
#endif
#ifndef HUBD_AI_MAX_TOKENS
#define HUBD_AI_MAX_TOKENS 800            /* output ceiling of a queue entry's call */
#endif
#ifndef HUBD_AI_BUDGET_MS
#define HUBD_AI_BUDGET_MS (5LL * 60 * 1000) /* a queue run's time budget */
#endif
#ifndef HUBD_LLM_BACKOFF_BUSY_MS
#define HUBD_LLM_BACKOFF_BUSY_MS (15LL * 60 * 1000) /* after 429/5xx/529/timeout (or retry-after) */
#endif
#ifndef HUBD_LLM_BACKOFF_BAD_MS
#define HUBD_LLM_BACKOFF_BAD_MS (60LL * 60 * 1000)  /* after a bad, truncated or refused answer */
#endif
#ifndef HUBD_LLM_BACKOFF_QUOTA_MS
#define HUBD_LLM_BACKOFF_QUOTA_MS (4LL * 3600 * 1000) /* after a quota or key error */
#endif
#ifndef HUBD_PROMPT_TITLE_MAX
#define HUBD_PROMPT_TITLE_MAX 300         /* bytes of a title in a prompt */
#endif
#ifndef HUBD_PROMPT_TEXT_MAX
#define HUBD_PROMPT_TEXT_MAX 400          /* bytes of an excerpt, labels or a reason in a prompt */
#endif

/* How the driver reaches the core, the LLM and the clock. */
typedef struct {
  /* Runs one core command (len bytes of JSON); returns the result (hub_free), NULL on OOM. */
  char *(*call)(void *ud, const char *json, size_t len);
  void *call_ud;
  const hub_llm_config *llm; /* NULL: no LLM configured — the rule-built briefing stands */
  hub_llm_sleep_fn sleep;    /* waits between retries; NULL: the real clock, cut short by stop */
  void *sleep_ud;
  int64_t (*clock)(void *ud); /* now in ms; NULL: the real clock */
  void *clock_ud;
  const atomic_int *stop;    /* non-zero: end between calls (hubd stopping); may be NULL */
} hubd_ai_env;

/* The env for a hub handle used on this thread only (tests, the CLI): call = hub_call_n(h). */
hubd_ai_env hubd_ai_env_hub(hub *h, const hub_llm_config *llm);

/* Refreshes the briefing and refines it with the LLM as described above. Returns
 * {"source":"rules"|"llm" (what `brief` now serves), "hash", "changed" (the rule-built one was
 * new), "called" (an LLM call was made), "cached" (a fresh attempt made a call needless),
 * "attempts", "error":{"kind","message"} when the call or the core refused}, or
 * {"error":{code,message}} when the core could not build the rule-built one; NULL on OOM. */
cJSON *hubd_brief_run(const hubd_ai_env *env);

/* One run of the AI queue within budget_ms (HUBD_AI_BUDGET_MS on hubd). Returns {"enqueued",
 * "claimed", "completed", "failed" (attempts that failed or were refused), "released", "calls",
 * "ended":"empty"|"budget"|"quota"|"auth"|"stopped"|"no_llm"|"error", "errors":[{"entity",
 * "kind","message"}], "queue":{counts}}; NULL on OOM. */
cJSON *hubd_aiqueue_run(const hubd_ai_env *env, int64_t budget_ms);

/* The strict JSON schema for the core's schema named name ("briefing", "gfi_intro",
 * "repo_summary"), its item keys restricted to keys[0..nkeys) (an enum). New tree (NULL on
 * OOM or an unknown name); it passes hub_llm_schema_check. */
cJSON *hubd_llm_schema(const char *name, const char *const *keys, size_t nkeys);

#endif
