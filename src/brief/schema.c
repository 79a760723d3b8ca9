/*
 * schema.c — the one definition of every AI-shaped output and its validator (brief layer; see
 * brief.h).
 *
 * A briefing, a good-first issue's intro and a repository's summary are declared below as
 * trees of hub__snode. The rule-built briefing is checked against its tree before it is
 * served or cached, an LLM's answer before it is stored, and hubd turns the same trees into
 * the strict JSON schemas its LLM client sends (src/server/brief_llm.c). Lengths count
 * characters (code points), not bytes. Every string must be valid UTF-8 without control
 * characters (line breaks allowed only where HUB_SF_ONELINE is not set) and not blank.
 */
#include <stdio.h>
#include <string.h>
#include "brief/brief.h"

/* ---- the enums the page has colours and icons for ---------------------------------------- */
static const char *const kinds[] = {"reply", "work", "look", "gfi"};
static const char *const accents[] = {"red", "amber", "blue", "violet", "green", "grey"};
static const char *const icons[] = {"reply", "activity", "eye", "bug", "sprout", "star", "bell", "flame"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the briefing ------------------------------------------------------------------------ */
static const hub__snode brief_item_props[] = {
    {"key", HUB_SN_STRING, "the item's key, exactly as given", 1, 512, NULL, 0, NULL, 0,
     HUB_SF_ITEM_KEY | HUB_SF_UNIQUE | HUB_SF_ONELINE},
    {"reason", HUB_SN_STRING, "why it is here, in one line built from the facts", 1, 160, NULL, 0, NULL, 0,
     HUB_SF_ONELINE},
};
static const hub__snode brief_item = {NULL, HUB_SN_OBJECT, "one item", 0, 0, NULL, 0, brief_item_props,
                                      N(brief_item_props), 0};
static const hub__snode brief_section_props[] = {
    {"kind", HUB_SN_ENUM,
     "what the section gathers: reply (someone waits on you), work (your open work with new activity), "
     "look (worth a look: bugs and busy threads), gfi (good first picks)",
     0, 0, kinds, N(kinds), NULL, 0, HUB_SF_UNIQUE},
    {"title", HUB_SN_STRING, "a short title", 1, 40, NULL, 0, NULL, 0, HUB_SF_ONELINE},
    {"accent", HUB_SN_ENUM, "the section's accent colour", 0, 0, accents, N(accents), NULL, 0, 0},
    {"icon", HUB_SN_ENUM, "the section's icon", 0, 0, icons, N(icons), NULL, 0, 0},
    {"priority", HUB_SN_INT, "1 = do this first", 1, 4, NULL, 0, NULL, 0, 0},
    {"items", HUB_SN_ARRAY, "the section's items, most important first", 1, HUB_BRIEF_PER_SECTION, NULL, 0,
     &brief_item, 1, 0},
};
static const hub__snode brief_section = {NULL, HUB_SN_OBJECT, "one themed section", 0, 0, NULL, 0,
                                         brief_section_props, N(brief_section_props), 0};
static const hub__snode brief_props[] = {
    {"headline", HUB_SN_STRING, "what matters most today, one sentence built from the facts", 1, 200, NULL, 0,
     NULL, 0, HUB_SF_ONELINE},
    {"sections", HUB_SN_ARRAY, "themed sections by actionability, most urgent first", 0, 4, NULL, 0,
     &brief_section, 1, 0},
};
const hub__snode hub__schema_brief = {NULL, HUB_SN_OBJECT, "a daily briefing of the user's developer inbox", 0,
                                      0, NULL, 0, brief_props, N(brief_props), 0};

/* ---- a good-first issue's intro ------------------------------------------------------------ */
static const hub__snode gfi_step = {NULL, HUB_SN_STRING, "one concrete step", 5, 200, NULL, 0, NULL, 0,
                                    HUB_SF_ONELINE};
static const hub__snode gfi_props[] = {
    {"intro", HUB_SN_STRING, "two or three sentences for a newcomer: what the issue asks and why it matters",
     40, 600, NULL, 0, NULL, 0, 0},
    {"difficulty", HUB_SN_INT, "1 (a typo) to 5 (needs deep knowledge of the project)", 1, 5, NULL, 0, NULL, 0,
     0},
    {"first_steps", HUB_SN_ARRAY, "the first steps to take, in order", 1, 5, NULL, 0, &gfi_step, 1, 0},
};
const hub__snode hub__schema_gfi_intro = {NULL, HUB_SN_OBJECT, "help for a newcomer to one good first issue", 0,
                                          0, NULL, 0, gfi_props, N(gfi_props), 0};

/* ---- a repository's summary ----------------------------------------------------------------- */
static const hub__snode repo_props[] = {
    {"summary", HUB_SN_STRING, "one paragraph: what the project is and what its beginner issues are about", 40,
     800, NULL, 0, NULL, 0, 0},
};
const hub__snode hub__schema_repo_summary = {NULL, HUB_SN_OBJECT, "a repository in one paragraph", 0, 0, NULL,
                                             0, repo_props, N(repo_props), 0};

const hub__snode *hub__schema_find(const char *name) {
  if (!name) return NULL;
  if (strcmp(name, "briefing") == 0) return &hub__schema_brief;
  if (strcmp(name, "gfi_intro") == 0) return &hub__schema_gfi_intro;
  if (strcmp(name, "repo_summary") == 0) return &hub__schema_repo_summary;
  return NULL;
}

const hub__snode *hub__schema_brief_enum(const char *name) {
  size_t i;
  for (i = 0; name && i < N(brief_section_props); i++)
    if (brief_section_props[i].type == HUB_SN_ENUM && strcmp(brief_section_props[i].name, name) == 0)
      return &brief_section_props[i];
  return NULL;
}

/* ---- the validator --------------------------------------------------------------------------- */

typedef struct {
  const char *const *keys;
  size_t nkeys;
  char path[256];
  size_t plen;
  char *err;
  size_t errlen;
  struct {
    const hub__snode *node;
    const char *value;
  } seen[HUB_SCHEMA_MAX_UNIQUE];
  size_t nseen;
} vctx;

/* Sets the error "<path>: <why>" and returns -1. */
static int fail(vctx *c, const char *why) {
  if (c->err && c->errlen) snprintf(c->err, c->errlen, "%s: %s", c->path, why);
  return -1;
}

/* Appends a path step; returns the old length to restore with pop(). */
static size_t push(vctx *c, const char *name, int index) {
  size_t old = c->plen;
  int w = name ? snprintf(c->path + c->plen, sizeof c->path - c->plen, ".%.60s", name)
               : snprintf(c->path + c->plen, sizeof c->path - c->plen, "[%d]", index);
  if (w > 0) c->plen += (size_t)w < sizeof c->path - c->plen ? (size_t)w : sizeof c->path - c->plen - 1;
  return old;
}
static void pop(vctx *c, size_t old) {
  c->plen = old;
  c->path[old] = 0;
}

/* Characters in s (valid UTF-8), and whether it holds a forbidden control character or is
 * blank. */
static int string_ok(vctx *c, const hub__snode *s, const char *v) {
  size_t i, len = strlen(v), chars = 0;
  int blank = 1;
  char why[96];
  if (!hub__utf8_valid(v, len)) return fail(c, "not valid UTF-8");
  for (i = 0; i < len; i++) {
    unsigned char b = (unsigned char)v[i];
    if ((b & 0xC0) != 0x80) chars++;
    if (b < 0x20 || b == 0x7f) {
      if (b != '\n' || (s->flags & HUB_SF_ONELINE)) return fail(c, "holds a control character or a line break");
    }
    if (b != ' ' && b != '\n') blank = 0;
  }
  if ((int64_t)chars < s->min || (int64_t)chars > s->max) {
    snprintf(why, sizeof why, "%zu characters, not %lld to %lld", chars, (long long)s->min, (long long)s->max);
    return fail(c, why);
  }
  if (s->min > 0 && blank) return fail(c, "blank");
  return 0;
}

static int unique_ok(vctx *c, const hub__snode *s, const char *v) {
  size_t i;
  for (i = 0; i < c->nseen; i++)
    if (c->seen[i].node == s && strcmp(c->seen[i].value, v) == 0) return fail(c, "appears twice");
  if (c->nseen == HUB_SCHEMA_MAX_UNIQUE) return fail(c, "too many values to check");
  c->seen[c->nseen].node = s;
  c->seen[c->nseen].value = v;
  c->nseen++;
  return 0;
}

static int validate_node(vctx *c, const hub__snode *s, const cJSON *v, int depth);

static int validate_object(vctx *c, const hub__snode *s, const cJSON *v, int depth) {
  const cJSON *m, *o;
  size_t i;
  if (!cJSON_IsObject(v)) return fail(c, "not an object");
  cJSON_ArrayForEach(m, v) {
    int known = 0;
    if (!m->string) return fail(c, "a member without a name");
    for (i = 0; i < s->n; i++) known |= strcmp(m->string, s->children[i].name) == 0;
    for (o = v->child; o != m; o = o->next)
      if (strcmp(o->string, m->string) == 0) {
        size_t old = push(c, m->string, 0);
        int r = fail(c, "appears twice");
        pop(c, old);
        return r;
      }
    if (!known) {
      size_t old = push(c, m->string, 0);
      int r = fail(c, "not a member this schema allows");
      pop(c, old);
      return r;
    }
  }
  for (i = 0; i < s->n; i++) {
    const hub__snode *p = &s->children[i];
    size_t old = push(c, p->name, 0);
    int r;
    m = cJSON_GetObjectItemCaseSensitive(v, p->name);
    if (!m) r = fail(c, "missing");
    else if (cJSON_IsNull(m)) r = (p->flags & HUB_SF_NULLABLE) ? 0 : fail(c, "null");
    else r = validate_node(c, p, m, depth + 1);
    pop(c, old);
    if (r) return -1;
  }
  return 0;
}

static int validate_array(vctx *c, const hub__snode *s, const cJSON *v, int depth) {
  const cJSON *e;
  int n, i = 0;
  char why[96];
  if (!cJSON_IsArray(v)) return fail(c, "not an array");
  n = cJSON_GetArraySize(v);
  if (n < s->min || n > s->max) {
    snprintf(why, sizeof why, "%d elements, not %lld to %lld", n, (long long)s->min, (long long)s->max);
    return fail(c, why);
  }
  cJSON_ArrayForEach(e, v) {
    size_t old = push(c, NULL, i++);
    int r = validate_node(c, &s->children[0], e, depth + 1);
    pop(c, old);
    if (r) return -1;
  }
  return 0;
}

static int validate_scalar(vctx *c, const hub__snode *s, const cJSON *v) {
  size_t i;
  int64_t n;
  char why[96];
  if (s->type == HUB_SN_INT) {
    if (!cJSON_IsNumber(v) || hub__num_in(v->valuedouble, s->min, s->max, &n) || (double)n != v->valuedouble) {
      snprintf(why, sizeof why, "not a whole number from %lld to %lld", (long long)s->min, (long long)s->max);
      return fail(c, why);
    }
    return 0;
  }
  if (!cJSON_IsString(v) || !v->valuestring) return fail(c, "not a string");
  if (s->type == HUB_SN_ENUM) {
    for (i = 0; i < s->nvalues; i++)
      if (strcmp(v->valuestring, s->values[i]) == 0) break;
    if (i == s->nvalues) return fail(c, "not one of the allowed values");
  } else if (string_ok(c, s, v->valuestring)) {
    return -1;
  }
  if (s->flags & HUB_SF_ITEM_KEY) {
    for (i = 0; i < c->nkeys; i++)
      if (strcmp(v->valuestring, c->keys[i]) == 0) break;
    if (i == c->nkeys) return fail(c, "not one of the given items");
  }
  return (s->flags & HUB_SF_UNIQUE) ? unique_ok(c, s, v->valuestring) : 0;
}

static int validate_node(vctx *c, const hub__snode *s, const cJSON *v, int depth) {
  if (depth > HUB_SCHEMA_MAX_DEPTH) return fail(c, "nested too deeply");
  switch (s->type) {
  case HUB_SN_OBJECT: return validate_object(c, s, v, depth);
  case HUB_SN_ARRAY: return validate_array(c, s, v, depth);
  default: return validate_scalar(c, s, v);
  }
}

int hub__schema_validate(const hub__snode *s, const cJSON *v, const char *const *keys, size_t nkeys, char *err,
                         size_t errlen) {
  vctx c;
  memset(&c, 0, sizeof c);
  c.keys = keys;
  c.nkeys = nkeys;
  c.err = err;
  c.errlen = errlen;
  c.path[0] = '$';
  c.plen = 1;
  if (err && errlen) err[0] = 0;
  if (!s || !v) return fail(&c, "nothing to validate");
  return validate_node(&c, s, v, 0);
}

/* ---- the plain description (meta) ------------------------------------------------------------ */

static const char *const type_names[] = {"object", "array", "string", "integer", "enum"};

cJSON *hub__schema_json(const hub__snode *s) {
  cJSON *o = cJSON_CreateObject(), *a;
  size_t i;
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "type", type_names[s->type]);
  if (s->description) cJSON_AddStringToObject(o, "description", s->description);
  if (s->type == HUB_SN_STRING || s->type == HUB_SN_INT || s->type == HUB_SN_ARRAY) {
    cJSON_AddNumberToObject(o, "min", (double)s->min);
    cJSON_AddNumberToObject(o, "max", (double)s->max);
  }
  if (s->type == HUB_SN_ENUM) {
    a = cJSON_AddArrayToObject(o, "values");
    for (i = 0; a && i < s->nvalues; i++) hub__push(a, cJSON_CreateString(s->values[i]));
  }
  if (s->type == HUB_SN_OBJECT) {
    a = cJSON_AddObjectToObject(o, "properties");
    for (i = 0; a && i < s->n; i++) hub__put(a, s->children[i].name, hub__schema_json(&s->children[i]));
  }
  if (s->type == HUB_SN_ARRAY) hub__put(o, "items", hub__schema_json(&s->children[0]));
  if (s->flags & HUB_SF_NULLABLE) cJSON_AddTrueToObject(o, "nullable");
  if (s->flags & HUB_SF_ITEM_KEY) cJSON_AddTrueToObject(o, "item_key");
  if (s->flags & HUB_SF_UNIQUE) cJSON_AddTrueToObject(o, "unique");
  if (s->flags & HUB_SF_ONELINE) cJSON_AddTrueToObject(o, "oneline");
  return o;
}
