/*
 * brief_llm.c — hubd's LLM-refined briefing and AI queue runs (native driver layer; see
 * brief_llm.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "brief/brief.h"
#include "brief_llm.h"

/* ---- the env ---------------------------------------------------------------------------- */

static char *hub_direct(void *ud, const char *json, size_t len) { return hub_call_n(ud, json, len); }

hubd_ai_env hubd_ai_env_hub(hub *h, const hub_llm_config *llm) {
  hubd_ai_env e;
  memset(&e, 0, sizeof e);
  e.call = hub_direct;
  e.call_ud = h;
  e.llm = llm;
  return e;
}

static int64_t now_of(const hubd_ai_env *env) {
  struct timespec ts;
  if (env->clock) return env->clock(env->clock_ud);
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int stopping(const hubd_ai_env *env) { return env->stop && atomic_load(env->stop); }

/* The env as the sleep function's user data (read-only there). */
static void *as_ud(const hubd_ai_env *env) {
  void *p;
  memcpy(&p, &env, sizeof p);
  return p;
}

/* The real clock's sleep, in steps, ended early when hubd stops. */
static void stoppable_sleep(void *ud, int64_t ms) {
  const hubd_ai_env *env = ud;
  while (ms > 0 && !stopping(env)) {
    int64_t step = ms > 100 ? 100 : ms;
    struct timespec ts = {0, (long)step * 1000000L};
    nanosleep(&ts, NULL);
    ms -= step;
  }
}

/* Runs a core command given as a tree; returns the parsed answer (NULL on OOM). */
static cJSON *core(const hubd_ai_env *env, const cJSON *req) {
  char *in = cJSON_PrintUnformatted(req), *out = in ? env->call(env->call_ud, in, strlen(in)) : NULL;
  cJSON *r = out ? cJSON_Parse(out) : NULL;
  cJSON_free(in);
  hub_free(out);
  return r;
}

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- schemas from the core's tree ---------------------------------------------------------- */

/* "description (1–200 characters)" and the like: the limits the strict subset cannot carry. */
static char *describe(const hub__snode *s) {
  const char *d = s->description ? s->description : "";
  if (s->type == HUB_SN_STRING) return hub__printf("%s (%lld to %lld characters)", d, (long long)s->min, (long long)s->max);
  if (s->type == HUB_SN_INT) return hub__printf("%s (a whole number from %lld to %lld)", d, (long long)s->min, (long long)s->max);
  if (s->type == HUB_SN_ARRAY) return hub__printf("%s (%lld to %lld elements)", d, (long long)s->min, (long long)s->max);
  return hub__strdup(d);
}

static cJSON *build(const hub__snode *s, const char *const *keys, size_t nkeys, int depth) {
  char *d = describe(s);
  cJSON *o = NULL;
  size_t i;
  if (!d || depth > HUB_SCHEMA_MAX_DEPTH) goto done;
  switch (s->type) {
  case HUB_SN_OBJECT:
    o = hub_llm_schema_object(d);
    for (i = 0; o && i < s->n; i++)
      if (hub_llm_schema_add(o, s->children[i].name, build(&s->children[i], keys, nkeys, depth + 1),
                             (s->children[i].flags & HUB_SF_NULLABLE) != 0)) {
        cJSON_Delete(o);
        o = NULL;
      }
    break;
  case HUB_SN_ARRAY: o = hub_llm_schema_array(build(&s->children[0], keys, nkeys, depth + 1), d); break;
  case HUB_SN_INT: o = hub_llm_schema_scalar("integer", d); break;
  case HUB_SN_ENUM: o = hub_llm_schema_enum(s->values, s->nvalues, d); break;
  case HUB_SN_STRING:
    o = (s->flags & HUB_SF_ITEM_KEY) && nkeys ? hub_llm_schema_enum(keys, nkeys, d) : hub_llm_schema_scalar("string", d);
    break;
  }
done:
  hub_free(d);
  return o;
}

cJSON *hubd_llm_schema(const char *name, const char *const *keys, size_t nkeys) {
  const hub__snode *s = hub__schema_find(name);
  return s ? build(s, keys, nkeys, 0) : NULL;
}

/* ---- prompts ------------------------------------------------------------------------------- */

/* Appends "label: <untrusted>text</untrusted>" (quoted, capped) to b. */
static void quoted(hub__buf *b, const char *label, const char *text, size_t max) {
  char *q = hub_llm_quote_untrusted(text, max);
  hub__buf_str(b, label);
  if (q) hub__buf_str(b, q);
  else b->failed = 1;
  hub_free(q);
}

/* The strings of a JSON array joined with ", " (new string). */
static char *joined(const cJSON *a) {
  hub__buf b;
  const cJSON *e;
  char *out;
  hub__buf_init(&b, 4096);
  cJSON_ArrayForEach(e, a) {
    if (!cJSON_IsString(e)) continue;
    if (b.len) hub__buf_str(&b, ", ");
    hub__buf_str(&b, e->valuestring);
  }
  hub__buf_add(&b, "", 1);
  out = b.failed ? NULL : hub__strdup(b.p);
  hub__buf_free(&b);
  return out;
}

/* The item's key as a JSON string ("github.com/o/r#1"), appended. */
static void key_json(hub__buf *b, const char *key) {
  cJSON *s = cJSON_CreateString(key);
  char *t = s ? cJSON_PrintUnformatted(s) : NULL;
  if (t) hub__buf_str(b, t);
  else b->failed = 1;
  cJSON_free(t);
  cJSON_Delete(s);
}

static void prompt_item(hub__buf *b, const cJSON *it, const cJSON *item) {
  const char *key = str(it, "key");
  char *labels = joined(cJSON_GetObjectItemCaseSensitive(item, "labels"));
  char num[32];
  hub__buf_str(b, "- key ");
  key_json(b, key ? key : "");
  snprintf(num, sizeof num, " #%.0f", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(item, "number")));
  hub__buf_str(b, strcmp(str(item, "kind") ? str(item, "kind") : "", "pull") == 0 ? " | pull request" : " | issue");
  quoted(b, " | repository: ", str(item, "repo"), 200);
  hub__buf_str(b, num);
  quoted(b, " | title: ", str(item, "title"), HUBD_PROMPT_TITLE_MAX);
  quoted(b, " | labels: ", labels ? labels : "", HUBD_PROMPT_TEXT_MAX);
  quoted(b, " | the rules said: ", str(it, "reason"), HUBD_PROMPT_TEXT_MAX);
  if (str(item, "excerpt")) quoted(b, " | description starts: ", str(item, "excerpt"), HUBD_PROMPT_TEXT_MAX);
  hub__buf_str(b, "\n");
  hub_free(labels);
}

static const char brief_system[] =
    "You write the daily briefing of a software developer's inbox: one headline sentence and up to four "
    "themed sections, most urgent first. Section kinds: reply (someone waits on the user: a review, a "
    "mention, an assignment), work (the user's own open work with new activity), look (bugs and busy "
    "threads worth a look), gfi (good first issues to pick up). Use only the facts and items below; pick "
    "items only from them, with their keys exactly as given; never invent items, numbers or facts; write "
    "each item's reason as one short line. " HUB_LLM_QUOTE_RULE;

/* The user prompt of a briefing: the rules' facts, then every section's items. */
static char *brief_prompt(const cJSON *b) {
  const cJSON *sec, *it, *items = cJSON_GetObjectItemCaseSensitive(b, "items");
  const cJSON *counts = cJSON_GetObjectItemCaseSensitive(b, "counts");
  hub__buf buf;
  char line[256], *out;
  hub__buf_init(&buf, HUB_LLM_MAX_REQUEST / 2);
  hub__buf_str(&buf, "Facts found by the rules today.\nHeadline: ");
  hub__buf_str(&buf, str(b, "headline") ? str(b, "headline") : "");
  hub__buf_str(&buf, "\n");
  cJSON_ArrayForEach(sec, cJSON_GetObjectItemCaseSensitive(b, "sections")) {
    const char *kind = str(sec, "kind") ? str(sec, "kind") : "";
    snprintf(line, sizeof line, "\nSection %s (%s; accent %s, icon %s, priority %.0f): %.0f items in all, the best:\n",
             kind, str(sec, "title") ? str(sec, "title") : "", str(sec, "accent") ? str(sec, "accent") : "",
             str(sec, "icon") ? str(sec, "icon") : "", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sec, "priority")),
             cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(counts, kind)));
    hub__buf_str(&buf, line);
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(sec, "items"))
      prompt_item(&buf, it, cJSON_GetObjectItemCaseSensitive(items, str(it, "key") ? str(it, "key") : ""));
  }
  hub__buf_str(&buf, "\nWrite the briefing as JSON that matches the schema.");
  hub__buf_add(&buf, "", 1);
  out = buf.failed ? NULL : hub__strdup(buf.p);
  hub__buf_free(&buf);
  return out;
}

/* The keys a briefing names, borrowed from b, into keys (at most max). */
static size_t brief_keys(const cJSON *b, const char **keys, size_t max) {
  const cJSON *sec, *it;
  size_t n = 0;
  cJSON_ArrayForEach(sec, cJSON_GetObjectItemCaseSensitive(b, "sections"))
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(sec, "items"))
      if (n < max && str(it, "key")) keys[n++] = str(it, "key");
  return n;
}

/* sha256(model, system, user, schema) as hex. */
static int prompt_hash(const hub_llm_config *cfg, const hub_llm_task *t, char hex[65]) {
  char *schema = cJSON_PrintUnformatted(t->schema);
  char *all = schema ? hub__printf("%s\n%s\n%s\n%s\n%s", cfg->model, t->system, t->user, t->schema_name, schema) : NULL;
  if (all) hub__sha256_hex(all, strlen(all), hex);
  cJSON_free(schema);
  hub_free(all);
  return all ? 0 : -1;
}

/* ---- the briefing ---------------------------------------------------------------------------- */

/* When to try again after a failure of kind k at now. */
static int64_t retry_at(const hub_llm_result *r, int64_t now) {
  switch (r->kind) {
  case HUB_LLM_RETRYABLE: case HUB_LLM_TIMEOUT: case HUB_LLM_NETWORK:
    return now + (r->retry_after_ms > HUBD_LLM_BACKOFF_BUSY_MS ? r->retry_after_ms : HUBD_LLM_BACKOFF_BUSY_MS);
  case HUB_LLM_QUOTA: case HUB_LLM_AUTH: return now + HUBD_LLM_BACKOFF_QUOTA_MS;
  default: return now + HUBD_LLM_BACKOFF_BAD_MS;
  }
}

/* 1 when the latest attempt for these items and this prompt makes a call needless now. */
static int fresh(const cJSON *llm, const char *ph, int64_t now) {
  const char *have = str(llm, "prompt_hash");
  double at = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(llm, "at"));
  const cJSON *retry = cJSON_GetObjectItemCaseSensitive(llm, "retry_at");
  if (!cJSON_IsObject(llm) || !have || strcmp(have, ph) != 0) return 0;
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(llm, "ok"))) return now - (int64_t)at < HUB_BRIEF_LLM_TTL_MS;
  return cJSON_IsNumber(retry) && retry->valuedouble > (double)now;
}

/* Stores the answer (or the failure) through brief_llm; sets out's "error" when refused. */
static void brief_store(const hubd_ai_env *env, const char *hash, const char *ph, hub_llm_result *res, int64_t now,
                        cJSON *out) {
  cJSON *req = cJSON_CreateObject(), *ans, *e;
  cJSON_AddStringToObject(req, "cmd", "brief_llm");
  cJSON_AddNumberToObject(req, "now", (double)now);
  cJSON_AddStringToObject(req, "hash", hash);
  cJSON_AddStringToObject(req, "prompt_hash", ph);
  cJSON_AddStringToObject(req, "model", env->llm->model);
  if (res->kind == HUB_LLM_OK) {
    cJSON_AddNumberToObject(req, "retry_at", (double)(now + HUBD_LLM_BACKOFF_BAD_MS)); /* if refused */
    cJSON_AddItemReferenceToObject(req, "briefing", res->output);
  } else {
    e = cJSON_AddObjectToObject(req, "error");
    cJSON_AddStringToObject(e, "kind", hub_llm_kind_code(res->kind));
    cJSON_AddStringToObject(e, "message", res->message);
    cJSON_AddNumberToObject(req, "retry_at", (double)retry_at(res, now));
    hub__put(out, "error", cJSON_Duplicate(e, 1));
  }
  ans = core(env, req);
  e = cJSON_GetObjectItemCaseSensitive(ans, "error");
  if (e && res->kind == HUB_LLM_OK) {
    cJSON *mine = cJSON_CreateObject();
    cJSON_AddStringToObject(mine, "kind", strcmp(str(e, "code") ? str(e, "code") : "", "state") == 0 ? "stale" : "invalid");
    cJSON_AddStringToObject(mine, "message", str(e, "message") ? str(e, "message") : "refused");
    hub__put(out, "error", mine);
  }
  cJSON_Delete(ans);
  cJSON_Delete(req);
}

/* Makes the call for briefing b (the `brief` answer's "brief"); fills out. */
static void brief_call(const hubd_ai_env *env, const cJSON *b, const cJSON *llm, int64_t now, cJSON *out) {
  const char *keys[64], *hash = str(b, "hash");
  size_t nkeys = brief_keys(b, keys, 64);
  char ph[65], *user = brief_prompt(b);
  cJSON *schema = hubd_llm_schema("briefing", keys, nkeys);
  hub_llm_task t;
  hub_llm_result res;
  int attempts;
  memset(&res, 0, sizeof res);
  memset(&t, 0, sizeof t);
  t.system = brief_system;
  t.user = user;
  t.schema_name = "briefing";
  t.description = "the daily briefing";
  t.schema = schema;
  t.max_tokens = HUBD_BRIEF_MAX_TOKENS;
  if (!user || !schema || !hash || prompt_hash(env->llm, &t, ph)) goto done;
  if (fresh(llm, ph, now)) {
    cJSON_AddTrueToObject(out, "cached");
    goto done;
  }
  attempts = hub_llm_call(env->llm, &t, env->sleep ? env->sleep : stoppable_sleep, env->sleep ? env->sleep_ud : as_ud(env), &res);
  cJSON_AddTrueToObject(out, "called");
  cJSON_AddNumberToObject(out, "attempts", attempts);
  brief_store(env, hash, ph, &res, now_of(env), out);
done:
  hub_llm_result_free(&res);
  cJSON_Delete(schema);
  hub_free(user);
}

cJSON *hubd_brief_run(const hubd_ai_env *env) {
  int64_t now = now_of(env);
  cJSON *req = cJSON_CreateObject(), *ans, *out = NULL, *after;
  const cJSON *b;
  cJSON_AddStringToObject(req, "cmd", "brief");
  cJSON_AddNumberToObject(req, "now", (double)now);
  cJSON_AddTrueToObject(req, "refresh");
  cJSON_AddStringToObject(req, "source", "rules");
  cJSON_AddTrueToObject(req, "texts");
  ans = core(env, req);
  b = cJSON_GetObjectItemCaseSensitive(ans, "brief");
  if (!ans || !b) {
    out = ans;
    ans = NULL;
    goto done;
  }
  out = cJSON_CreateObject();
  if (!out) goto done;
  cJSON_AddStringToObject(out, "hash", str(b, "hash") ? str(b, "hash") : "");
  cJSON_AddBoolToObject(out, "changed", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ans, "changed")));
  if (env->llm && !stopping(env)) brief_call(env, b, cJSON_GetObjectItemCaseSensitive(ans, "llm"), now, out);
  if (!cJSON_GetObjectItem(out, "called")) cJSON_AddFalseToObject(out, "called");
  if (!cJSON_GetObjectItem(out, "cached")) cJSON_AddFalseToObject(out, "cached");
  /* what `brief` serves now */
  cJSON_DeleteItemFromObject(req, "refresh");
  cJSON_DeleteItemFromObject(req, "source");
  cJSON_DeleteItemFromObject(req, "texts");
  cJSON_ReplaceItemInObject(req, "now", cJSON_CreateNumber((double)now_of(env)));
  after = core(env, req);
  cJSON_AddStringToObject(out, "source", str(cJSON_GetObjectItemCaseSensitive(after, "brief"), "source")
                                             ? str(cJSON_GetObjectItemCaseSensitive(after, "brief"), "source") : "rules");
  cJSON_Delete(after);
done:
  cJSON_Delete(ans);
  cJSON_Delete(req);
  return out;
}

/* ---- the AI queue ------------------------------------------------------------------------------ */

static const char gfi_system[] =
    "You help a newcomer start on one good first issue of an open-source project. Write a two or three "
    "sentence intro (what the issue asks and why it matters), rate its difficulty from 1 (a typo) to 5 "
    "(needs deep knowledge of the project), and list the first steps to take, in order. Base everything on "
    "the issue below; where it says little, say little. " HUB_LLM_QUOTE_RULE;
static const char repo_system[] =
    "You describe one open-source repository to a newcomer in one paragraph: what the project is, what it "
    "is written in, and what its beginner issues are about. Use only the facts below. " HUB_LLM_QUOTE_RULE;

static char *entry_prompt(const char *kind, const cJSON *in) {
  hub__buf b;
  char *langs = joined(cJSON_GetObjectItemCaseSensitive(in, "languages")), *out;
  const cJSON *t;
  hub__buf_init(&b, HUB_LLM_MAX_REQUEST / 2);
  quoted(&b, "Repository: ", str(in, "repo"), 200);
  quoted(&b, "\nLanguages: ", langs ? langs : "", HUBD_PROMPT_TEXT_MAX);
  if (strcmp(kind, "gfi_intro") == 0) {
    char *labels = joined(cJSON_GetObjectItemCaseSensitive(in, "labels"));
    quoted(&b, "\nIssue title: ", str(in, "title"), HUBD_PROMPT_TITLE_MAX);
    quoted(&b, "\nLabels: ", labels ? labels : "", HUBD_PROMPT_TEXT_MAX);
    quoted(&b, "\nDescription (its start): ", str(in, "excerpt"), HUB_BRIEF_EXCERPT);
    hub__buf_str(&b, "\n\nWrite the intro, the difficulty and the first steps as JSON that matches the schema.");
    hub_free(labels);
  } else {
    char *techs = joined(cJSON_GetObjectItemCaseSensitive(in, "technologies"));
    quoted(&b, "\nTechnologies: ", techs ? techs : "", HUBD_PROMPT_TEXT_MAX);
    hub__buf_str(&b, "\nOpen good first issues:");
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(in, "issues"))
      if (cJSON_IsString(t)) quoted(&b, "\n- ", t->valuestring, HUBD_PROMPT_TITLE_MAX);
    hub__buf_str(&b, "\n\nWrite the summary as JSON that matches the schema.");
    hub_free(techs);
  }
  hub__buf_add(&b, "", 1);
  out = b.failed ? NULL : hub__strdup(b.p);
  hub__buf_free(&b);
  hub_free(langs);
  return out;
}

typedef struct {
  int claimed, completed, failed, released, calls;
  const char *ended;
  cJSON *errors;
} qrun;

/* ai_done for entry e: output, failure, or release. */
static cJSON *entry_done(const hubd_ai_env *env, const cJSON *e, const hub_llm_result *res, int release) {
  cJSON *req = cJSON_CreateObject(), *ans, *err;
  cJSON_AddStringToObject(req, "cmd", "ai_done");
  cJSON_AddNumberToObject(req, "id", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, "id")));
  cJSON_AddNumberToObject(req, "now", (double)now_of(env));
  if (res && res->kind == HUB_LLM_OK) {
    cJSON_AddStringToObject(req, "hash", str(e, "hash") ? str(e, "hash") : "");
    cJSON_AddStringToObject(req, "model", env->llm->model);
    cJSON_AddItemReferenceToObject(req, "output", res->output);
  } else {
    err = cJSON_AddObjectToObject(req, "error");
    cJSON_AddStringToObject(err, "kind", res ? hub_llm_kind_code(res->kind) : "released");
    cJSON_AddStringToObject(err, "message", res ? res->message : "out of time: released unattempted");
    if (release) cJSON_AddTrueToObject(req, "release");
  }
  ans = core(env, req);
  cJSON_Delete(req);
  return ans;
}

static void note_error(qrun *q, const cJSON *e, const char *kind, const char *message) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "entity", str(e, "entity") ? str(e, "entity") : "");
  cJSON_AddStringToObject(o, "kind", kind);
  cJSON_AddStringToObject(o, "message", message ? message : "");
  hub__push(q->errors, o);
}

/* One entry: the call and what the core made of it. Returns 1 when the run must end (quota,
 * key), else 0. */
static int run_entry(const hubd_ai_env *env, const cJSON *e, qrun *q) {
  const char *kind = str(e, "kind") ? str(e, "kind") : "";
  char *user = entry_prompt(kind, cJSON_GetObjectItemCaseSensitive(e, "input"));
  cJSON *schema = hubd_llm_schema(kind, NULL, 0), *ans = NULL;
  hub_llm_task t;
  hub_llm_result res;
  int end = 0;
  memset(&t, 0, sizeof t);
  memset(&res, 0, sizeof res);
  t.system = strcmp(kind, "gfi_intro") == 0 ? gfi_system : repo_system;
  t.user = user;
  t.schema_name = kind;
  t.schema = schema;
  t.max_tokens = HUBD_AI_MAX_TOKENS;
  if (!user || !schema) hub_llm_fail(&res, HUB_LLM_REQUEST, 0, "out of memory");
  else {
    hub_llm_call(env->llm, &t, env->sleep ? env->sleep : stoppable_sleep, env->sleep ? env->sleep_ud : as_ud(env), &res);
    q->calls++;
  }
  end = res.kind == HUB_LLM_QUOTA || res.kind == HUB_LLM_AUTH;
  ans = entry_done(env, e, &res, end);
  if (end) {
    q->released++;
    q->ended = res.kind == HUB_LLM_QUOTA ? "quota" : "auth";
    note_error(q, e, hub_llm_kind_code(res.kind), res.message);
  } else if (res.kind == HUB_LLM_OK && !cJSON_GetObjectItemCaseSensitive(ans, "error")) {
    q->completed++;
  } else {
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(ans, "error");
    q->failed++;
    if (res.kind == HUB_LLM_OK) note_error(q, e, "invalid", str(err, "message"));
    else note_error(q, e, hub_llm_kind_code(res.kind), res.message);
  }
  cJSON_Delete(ans);
  hub_llm_result_free(&res);
  cJSON_Delete(schema);
  hub_free(user);
  return end;
}

/* Claims one batch and works through it. Returns 1 when the run ends. */
static int run_batch(const hubd_ai_env *env, int64_t start, int64_t budget, qrun *q) {
  cJSON *req = cJSON_CreateObject(), *ans;
  const cJSON *e, *entries;
  int end = 0;
  cJSON_AddStringToObject(req, "cmd", "ai_claim");
  cJSON_AddNumberToObject(req, "now", (double)now_of(env));
  cJSON_AddNumberToObject(req, "limit", HUB_AI_BATCH);
  ans = core(env, req);
  cJSON_Delete(req);
  entries = cJSON_GetObjectItemCaseSensitive(ans, "entries");
  if (!cJSON_IsArray(entries)) {
    q->ended = "error";
    cJSON_Delete(ans);
    return 1;
  }
  if (cJSON_GetArraySize(entries) == 0) {
    q->ended = "empty";
    end = 1;
  }
  cJSON_ArrayForEach(e, entries) {
    q->claimed++;
    if (!end && (stopping(env) || now_of(env) - start >= budget)) {
      q->ended = stopping(env) ? "stopped" : "budget";
      end = 1;
    }
    if (end) { /* out of time (or quota): give the rest back unattempted */
      cJSON_Delete(entry_done(env, e, NULL, 1));
      q->released++;
      continue;
    }
    end = run_entry(env, e, q);
  }
  cJSON_Delete(ans);
  return end;
}

cJSON *hubd_aiqueue_run(const hubd_ai_env *env, int64_t budget_ms) {
  int64_t start = now_of(env);
  cJSON *req = cJSON_CreateObject(), *ans, *out = cJSON_CreateObject();
  qrun q;
  memset(&q, 0, sizeof q);
  q.errors = cJSON_CreateArray();
  if (!req || !out || !q.errors) goto done;
  cJSON_AddStringToObject(req, "cmd", "ai_enqueue");
  cJSON_AddNumberToObject(req, "now", (double)start);
  ans = core(env, req);
  cJSON_AddNumberToObject(out, "enqueued", cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ans, "enqueued")));
  if (!cJSON_GetObjectItemCaseSensitive(ans, "enqueued")) q.ended = "error";
  cJSON_Delete(ans);
  if (!q.ended && !env->llm) q.ended = "no_llm";
  while (!q.ended) {
    if (stopping(env)) q.ended = "stopped";
    else if (now_of(env) - start >= budget_ms) q.ended = "budget";
    else run_batch(env, start, budget_ms, &q);
  }
  cJSON_AddNumberToObject(out, "claimed", q.claimed);
  cJSON_AddNumberToObject(out, "completed", q.completed);
  cJSON_AddNumberToObject(out, "failed", q.failed);
  cJSON_AddNumberToObject(out, "released", q.released);
  cJSON_AddNumberToObject(out, "calls", q.calls);
  cJSON_AddStringToObject(out, "ended", q.ended);
  hub__put(out, "errors", q.errors);
  q.errors = NULL;
  cJSON_DeleteItemFromObject(req, "now");
  cJSON_ReplaceItemInObject(req, "cmd", cJSON_CreateString("queue"));
  cJSON_AddNumberToObject(req, "limit", 1);
  ans = core(env, req);
  hub__put(out, "queue", cJSON_DetachItemFromObject(ans, "counts"));
  cJSON_Delete(ans);
done:
  cJSON_Delete(q.errors);
  cJSON_Delete(req);
  return out;
}
