/*
 * llm.c — the LLM client of hubd without I/O: configuration from the environment, the
 * strict JSON-schema subset (check, build, validate), quoting untrusted text for prompts,
 * planning one request per provider, reading its answer into a result kind, and the retry
 * policy. Native driver layer (src/server/); the libcurl half is llm_curl.c. See llm.h for
 * the contracts and who frees what.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "hub_int.h"
#include "llm.h"

#define DEFAULT_OPENAI "https://api.openai.com/v1"
#define DEFAULT_OLLAMA "http://127.0.0.1:11434"
#define DEFAULT_ANTHROPIC "https://api.anthropic.com"
#define ANTHROPIC_VERSION "2023-06-01"
#define MAX_URL 2048
#define MAX_MODEL 256
#define MAX_KEY 4096
#define MAX_ENUM 1000
#define MAX_PATH 256
#define DETAIL 160 /* bytes of a provider's error text kept in a message */

/* ---- small helpers --------------------------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (!err || !errlen) return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* Decodes one UTF-8 character of s[0..len) (len >= 1): returns its length and sets *cp, or
 * returns 1 with *cp = 0xFFFD for an invalid, overlong, surrogate or truncated sequence. */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp) {
  uint32_t c = s[0], min;
  size_t n, i;
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) n = 2, c &= 0x1F, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, c &= 0x0F, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, c &= 0x07, min = 0x10000;
  else goto bad;
  if (len < n) goto bad;
  for (i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) goto bad;
    c = (c << 6) | (s[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) goto bad;
  *cp = c;
  return n;
bad:
  *cp = 0xFFFD;
  return 1;
}

static size_t utf8_put(char *out, uint32_t cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Makes s (NUL-terminated, in place) printable on one line: control characters become
 * spaces, invalid UTF-8 (including a sequence cut at the end) becomes '?'. */
static void clean_line(char *s) {
  size_t len = strlen(s), i = 0;
  while (i < len) {
    uint32_t cp;
    size_t n = utf8_next((const unsigned char *)s + i, len - i, &cp);
    if (cp == 0xFFFD && n == 1 && (unsigned char)s[i] >= 0x80) s[i] = '?';
    else if (cp < 0x20 || cp == 0x7F) s[i] = ' ';
    i += n;
  }
}

/* Overwrites every occurrence of key in s with '*' (same length). */
static void scrub_key(char *s, const char *key) {
  size_t kl = key ? strlen(key) : 0;
  char *p;
  if (kl < 4) return;
  while ((p = strstr(s, key)) != NULL) memset(p, '*', kl);
}

static const cJSON *get(const cJSON *o, const char *k) {
  return cJSON_GetObjectItemCaseSensitive(o, k);
}
static const char *get_str(const cJSON *o, const char *k) {
  const cJSON *v = get(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- kinds and results ----------------------------------------------------------------- */

static const char *const kind_codes[] = {
#define X(name, code, msg) code,
    HUB_LLM_KIND_MAP(X)
#undef X
};
static const char *const kind_msgs[] = {
#define X(name, code, msg) msg,
    HUB_LLM_KIND_MAP(X)
#undef X
};

const char *hub_llm_kind_code(hub_llm_kind k) {
  return (unsigned)k < HUB_LLM_KIND__COUNT ? kind_codes[k] : "unknown";
}

const char *hub_llm_provider_name(hub_llm_provider p) {
  switch (p) {
  case HUB_LLM_OPENAI: return "openai";
  case HUB_LLM_OLLAMA: return "ollama";
  case HUB_LLM_ANTHROPIC: return "anthropic";
  }
  return "unknown";
}

static void result_init(hub_llm_result *out) {
  memset(out, 0, sizeof *out);
  out->retry_after_ms = -1;
  out->input_tokens = out->output_tokens = -1;
}

/* Sets the result's kind and message "<provider>: <formatted>", cleaned and without the key. */
static void finish(hub_llm_result *out, const hub_llm_config *cfg, hub_llm_kind k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void finish(hub_llm_result *out, const hub_llm_config *cfg, hub_llm_kind k, const char *fmt, ...) {
  va_list ap;
  int n;
  out->kind = k;
  n = snprintf(out->message, sizeof out->message, "%s: ", cfg ? hub_llm_provider_name(cfg->provider) : "llm");
  if (n < 0 || (size_t)n >= sizeof out->message) n = 0;
  va_start(ap, fmt);
  vsnprintf(out->message + n, sizeof out->message - (size_t)n, fmt, ap);
  va_end(ap);
  if (cfg) scrub_key(out->message, cfg->api_key);
  clean_line(out->message);
}

void hub_llm_fail(hub_llm_result *out, hub_llm_kind k, int status, const char *message) {
  result_init(out);
  out->kind = (unsigned)k < HUB_LLM_KIND__COUNT ? k : HUB_LLM_NETWORK;
  out->status = status;
  snprintf(out->message, sizeof out->message, "%s", message ? message : kind_msgs[out->kind]);
  clean_line(out->message);
}

void hub_llm_result_free(hub_llm_result *out) {
  if (!out) return;
  cJSON_Delete(out->output);
  result_init(out);
}

/* ---- configuration --------------------------------------------------------------------- */

const char *hub_llm_getenv(void *ud, const char *name) {
  (void)ud;
  return getenv(name);
}

/* Parses url's scheme and host. Returns 0 with *https, *loopback and host (hostcap bytes)
 * set, or -1 with the reason in err. */
static int parse_base_url(const char *url, int *https, int *loopback, char *host, size_t hostcap,
                          char *err, size_t errlen) {
  const char *rest = NULL, *auth_end, *p, *hs, *he, *why = NULL, *q;
  size_t i, hl;
  long port = 0;
  if (!url || !*url) why = "the base URL is empty";
  else if (strlen(url) >= MAX_URL) why = "the base URL is too long";
  for (i = 0; !why && url[i]; i++)
    if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7F || url[i] == '\\')
      why = "the base URL contains a space, a backslash, a control or a non-ASCII character";
  if (why) goto fail;
  if (strncasecmp(url, "https://", 8) == 0) *https = 1, rest = url + 8;
  else if (strncasecmp(url, "http://", 7) == 0) *https = 0, rest = url + 7;
  else {
    why = "the base URL must start with https:// (or http:// to a loopback host)";
    goto fail;
  }
  auth_end = rest + strcspn(rest, "/");
  if (strpbrk(rest, "?#")) why = "the base URL must not have a query or a fragment";
  else if (memchr(rest, '@', (size_t)(auth_end - rest)))
    why = "the base URL must not carry user info (put the key in HUB_LLM_API_KEY)";
  if (why) goto fail;
  if (rest[0] == '[') {
    hs = rest + 1;
    he = memchr(hs, ']', (size_t)(auth_end - hs));
    if (!he) {
      why = "the base URL has an unclosed IPv6 literal";
      goto fail;
    }
    p = he + 1;
  } else {
    hs = rest;
    he = memchr(rest, ':', (size_t)(auth_end - rest));
    if (!he) he = auth_end;
    p = he;
    for (q = hs; q < he; q++)
      if (!isalnum((unsigned char)*q) && *q != '.' && *q != '-') why = "the base URL's host has a character outside [A-Za-z0-9.-]";
  }
  hl = (size_t)(he - hs);
  if (hl == 0) why = "the base URL has no host";
  else if (hl >= hostcap) why = "the base URL's host is too long";
  if (why) goto fail;
  memcpy(host, hs, hl);
  host[hl] = 0;
  if (p < auth_end) { /* ":port" */
    q = p + 1;
    if (*p != ':' || q == auth_end || auth_end - q > 5) why = "the base URL's port is not a number in 1..65535";
    for (; !why && q < auth_end; q++) {
      if (!isdigit((unsigned char)*q)) why = "the base URL's port is not a number in 1..65535";
      port = port * 10 + (*q - '0');
    }
    if (!why && (port < 1 || port > 65535)) why = "the base URL's port is not a number in 1..65535";
    if (why) goto fail;
  }
  if (rest[0] == '[') {
    struct in6_addr a6;
    if (inet_pton(AF_INET6, host, &a6) != 1) {
      why = "the base URL's IPv6 literal is malformed";
      goto fail;
    }
    *loopback = IN6_IS_ADDR_LOOPBACK(&a6) ? 1 : 0;
  } else {
    struct in_addr a4;
    *loopback = strcasecmp(host, "localhost") == 0 ||
                (inet_pton(AF_INET, host, &a4) == 1 && ((const unsigned char *)&a4.s_addr)[0] == 127);
  }
  return 0;
fail:
  set_err(err, errlen, "%s", why);
  return -1;
}

int hub_llm_check_base_url(const char *url, char *err, size_t errlen) {
  int https = 0, loopback = 0, rc = -1;
  char host[256];
  if (parse_base_url(url, &https, &loopback, host, sizeof host, err, errlen) == 0) {
    if (!https && !loopback)
      set_err(err, errlen,
              "http:// is allowed only to a loopback host (localhost, 127.0.0.0/8, [::1]); use https:// for %s", host);
    else
      rc = 0;
  }
  return rc;
}

/* Returns 1 if s has only printable ASCII without spaces (a key or a model name). */
static int printable_token(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7F) return 0;
  return 1;
}

hub_llm_cfg_status hub_llm_config_load(hub_llm_config *cfg, hub_llm_getenv_fn getf, void *ud,
                                       char *err, size_t errlen) {
  const char *prov = getf(ud, "HUB_LLM_PROVIDER"), *base, *model, *key, *tmo, *dflt;
  hub_llm_cfg_status st = HUB_LLM_CFG_BAD;
  int https = 0, loopback = 0;
  char host[256];
  size_t n;
  memset(cfg, 0, sizeof *cfg);
  set_err(err, errlen, "%s", "");
  if (!prov || !*prov) {
    st = HUB_LLM_CFG_NONE;
    goto fail;
  }
  if (strcasecmp(prov, "openai") == 0) cfg->provider = HUB_LLM_OPENAI, dflt = DEFAULT_OPENAI;
  else if (strcasecmp(prov, "ollama") == 0) cfg->provider = HUB_LLM_OLLAMA, dflt = DEFAULT_OLLAMA;
  else if (strcasecmp(prov, "anthropic") == 0) cfg->provider = HUB_LLM_ANTHROPIC, dflt = DEFAULT_ANTHROPIC;
  else {
    set_err(err, errlen, "HUB_LLM_PROVIDER must be openai, ollama or anthropic");
    goto fail;
  }
  base = getf(ud, "HUB_LLM_BASE_URL");
  if (!base || !*base) base = dflt;
  if (hub_llm_check_base_url(base, err, errlen)) goto fail;
  cfg->base_url = hub__strdup(base);
  if (!cfg->base_url) goto oom;
  n = strlen(cfg->base_url);
  while (n > 0 && cfg->base_url[n - 1] == '/') cfg->base_url[--n] = 0;
  if (parse_base_url(cfg->base_url, &https, &loopback, host, sizeof host, err, errlen)) goto fail;
  model = getf(ud, "HUB_LLM_MODEL");
  if (!model || !*model) {
    set_err(err, errlen, "HUB_LLM_MODEL is required (the model name the provider knows)");
    goto fail;
  }
  if (strlen(model) >= MAX_MODEL || !printable_token(model)) {
    set_err(err, errlen, "HUB_LLM_MODEL must be printable ASCII without spaces, under %d bytes", MAX_MODEL);
    goto fail;
  }
  cfg->model = hub__strdup(model);
  if (!cfg->model) goto oom;
  key = getf(ud, "HUB_LLM_API_KEY");
  if (key && *key) {
    if (strlen(key) >= MAX_KEY || !printable_token(key)) {
      set_err(err, errlen, "HUB_LLM_API_KEY must be printable ASCII without spaces, under %d bytes", MAX_KEY);
      goto fail;
    }
    cfg->api_key = hub__strdup(key);
    if (!cfg->api_key) goto oom;
  } else if (cfg->provider == HUB_LLM_ANTHROPIC ||
             (cfg->provider == HUB_LLM_OPENAI && strcasecmp(host, "api.openai.com") == 0)) {
    set_err(err, errlen, "HUB_LLM_API_KEY is required for %s at %s", hub_llm_provider_name(cfg->provider), host);
    goto fail;
  }
  cfg->timeout_ms = HUB_LLM_TIMEOUT_MS;
  tmo = getf(ud, "HUB_LLM_TIMEOUT_MS");
  if (tmo && *tmo) {
    char *end;
    long v = strtol(tmo, &end, 10);
    if (*end || v < 1 || v > 600000) {
      set_err(err, errlen, "HUB_LLM_TIMEOUT_MS must be a number of milliseconds in 1..600000");
      goto fail;
    }
    cfg->timeout_ms = v;
  }
  st = HUB_LLM_CFG_OK;
  goto done;
oom:
  set_err(err, errlen, "out of memory");
fail:
  hub_llm_config_free(cfg);
done:
  return st;
}

void hub_llm_config_free(hub_llm_config *cfg) {
  if (!cfg) return;
  if (cfg->api_key) memset(cfg->api_key, 0, strlen(cfg->api_key));
  hub_free(cfg->api_key);
  hub_free(cfg->base_url);
  hub_free(cfg->model);
  memset(cfg, 0, sizeof *cfg);
}

/* ---- schemas --------------------------------------------------------------------------- */

enum { T_STRING = 1, T_NUMBER = 2, T_INTEGER = 4, T_BOOLEAN = 8, T_OBJECT = 16, T_ARRAY = 32, T_NULL = 64 };
static const struct {
  const char *name;
  int bit;
} type_names[] = {{"string", T_STRING},   {"number", T_NUMBER}, {"integer", T_INTEGER}, {"boolean", T_BOOLEAN},
                  {"object", T_OBJECT},   {"array", T_ARRAY},   {"null", T_NULL}};
static const char *const keywords[] = {"type",  "properties", "required",    "additionalProperties", "items",
                                       "enum",  "const",      "anyOf",       "description",          "title"};

static int type_bit(const char *s) {
  size_t i;
  for (i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
    if (strcmp(s, type_names[i].name) == 0) return type_names[i].bit;
  return 0;
}

/* The type bits a JSON value satisfies. */
static int value_bits(const cJSON *v) {
  if (cJSON_IsString(v)) return T_STRING;
  if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    return T_NUMBER | (isfinite(d) && floor(d) == d && fabs(d) < 9007199254740992.0 ? T_INTEGER : 0);
  }
  if (cJSON_IsBool(v)) return T_BOOLEAN;
  if (cJSON_IsNull(v)) return T_NULL;
  if (cJSON_IsObject(v)) return T_OBJECT;
  if (cJSON_IsArray(v)) return T_ARRAY;
  return 0;
}

static const char *value_type_name(const cJSON *v) {
  int b = value_bits(v);
  if (b & T_INTEGER) return "integer";
  if (b & T_NUMBER) return "number";
  if (b & T_STRING) return "string";
  if (b & T_BOOLEAN) return "boolean";
  if (b & T_NULL) return "null";
  if (b & T_OBJECT) return "object";
  return "array";
}

/* A path like "$.properties.x" grown and shrunk in place. */
typedef struct {
  char p[MAX_PATH];
  size_t len;
} path_t;

static size_t path_push(path_t *pt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(path_t *pt, const char *fmt, ...) {
  size_t old = pt->len;
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(pt->p + pt->len, sizeof pt->p - pt->len, fmt, ap);
  va_end(ap);
  if (n > 0) pt->len += (size_t)n < sizeof pt->p - pt->len ? (size_t)n : sizeof pt->p - pt->len - 1;
  return old;
}
static void path_pop(path_t *pt, size_t old) {
  pt->len = old;
  pt->p[old] = 0;
}

typedef struct {
  path_t path;
  long props;
  char *err;
  size_t errlen;
} checker;

#define CHK_FAIL(...)                                                                     \
  do {                                                                                    \
    char m_[160];                                                                         \
    snprintf(m_, sizeof m_, __VA_ARGS__);                                                 \
    set_err(c->err, c->errlen, "%s: %s", c->path.p, m_);                                  \
    goto fail;                                                                            \
  } while (0)

static int types_of(checker *c, const cJSON *type, int *bits) {
  const cJSON *e;
  *bits = 0;
  if (cJSON_IsString(type)) {
    *bits = type_bit(type->valuestring);
    if (!*bits) CHK_FAIL("unknown type \"%.40s\"", type->valuestring);
  } else if (type) {
    if (!cJSON_IsArray(type) || !type->child) CHK_FAIL("type must be a string or a non-empty array of strings");
    cJSON_ArrayForEach(e, type) {
      int b = cJSON_IsString(e) ? type_bit(e->valuestring) : 0;
      if (!b) CHK_FAIL("type lists an unknown type");
      if (*bits & b) CHK_FAIL("type lists \"%s\" twice", e->valuestring);
      *bits |= b;
    }
  }
  return 0;
fail:
  return -1;
}

/* Checks that a scalar (enum member or const) fits the declared types. */
static int scalar_fits(checker *c, const cJSON *v, int bits, const char *what) {
  int vb = value_bits(v);
  if (vb & (T_OBJECT | T_ARRAY)) CHK_FAIL("%s values must be scalars", what);
  if (bits && !(vb & bits)) CHK_FAIL("a %s value (%s) is not of the declared type", what, value_type_name(v));
  return 0;
fail:
  return -1;
}

static int check_node(checker *c, const cJSON *s, int depth, int root) {
  const cJSON *k, *type, *any, *props, *req, *addl, *items, *en, *cn;
  int bits = 0;
  size_t i, old;
  if (depth > HUB_LLM_SCHEMA_MAX_DEPTH) CHK_FAIL("nested deeper than %d levels", HUB_LLM_SCHEMA_MAX_DEPTH);
  if (!cJSON_IsObject(s)) CHK_FAIL("a schema must be a JSON object");
  cJSON_ArrayForEach(k, s) {
    for (i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
      if (strcmp(k->string, keywords[i]) == 0) break;
    if (i == sizeof keywords / sizeof keywords[0])
      CHK_FAIL("keyword \"%.40s\" is outside the strict subset", k->string);
    if ((strcmp(k->string, "description") == 0 || strcmp(k->string, "title") == 0) && !cJSON_IsString(k))
      CHK_FAIL("%s must be a string", k->string);
  }
  type = get(s, "type");
  any = get(s, "anyOf");
  if (types_of(c, type, &bits)) goto fail;
  if (root && (!cJSON_IsString(type) || bits != T_OBJECT || any))
    CHK_FAIL("the root must be {\"type\": \"object\"} (no union, no anyOf)");
  if (!type && !any) CHK_FAIL("needs a type (or anyOf)");
  if (any) {
    const cJSON *b;
    long n = 0;
    if (!cJSON_IsArray(any) || !any->child) CHK_FAIL("anyOf must be a non-empty array");
    cJSON_ArrayForEach(b, any) {
      old = path_push(&c->path, ".anyOf[%ld]", n++);
      if (check_node(c, b, depth + 1, 0)) goto fail;
      path_pop(&c->path, old);
    }
  }
  if ((en = get(s, "enum")) != NULL) {
    const cJSON *e;
    if (!cJSON_IsArray(en) || !en->child) CHK_FAIL("enum must be a non-empty array");
    if (cJSON_GetArraySize(en) > MAX_ENUM) CHK_FAIL("enum has more than %d values", MAX_ENUM);
    cJSON_ArrayForEach(e, en) if (scalar_fits(c, e, bits, "enum")) goto fail;
  }
  if ((cn = get(s, "const")) != NULL && scalar_fits(c, cn, bits, "const")) goto fail;
  props = get(s, "properties");
  req = get(s, "required");
  addl = get(s, "additionalProperties");
  if (bits & T_OBJECT) {
    const cJSON *p, *r, *r2;
    if (!cJSON_IsObject(props)) CHK_FAIL("an object needs \"properties\"");
    if (!cJSON_IsArray(req)) CHK_FAIL("an object needs \"required\" listing every property");
    if (!cJSON_IsFalse(addl)) CHK_FAIL("an object needs \"additionalProperties\": false");
    cJSON_ArrayForEach(r, req) {
      if (!cJSON_IsString(r)) CHK_FAIL("required must list strings");
      if (!get(props, r->valuestring)) CHK_FAIL("required names \"%.40s\", which is not a property", r->valuestring);
      for (r2 = req->child; r2 != r; r2 = r2->next)
        if (strcmp(r2->valuestring, r->valuestring) == 0) CHK_FAIL("required lists \"%.40s\" twice", r->valuestring);
    }
    cJSON_ArrayForEach(p, props) {
      int found = 0;
      cJSON_ArrayForEach(r, req) found |= strcmp(r->valuestring, p->string) == 0;
      if (!found)
        CHK_FAIL("property \"%.40s\" is not in required (strict mode: make it nullable instead)", p->string);
      if (++c->props > HUB_LLM_SCHEMA_MAX_PROPS) CHK_FAIL("more than %d properties", HUB_LLM_SCHEMA_MAX_PROPS);
      old = path_push(&c->path, ".properties.%s", p->string);
      if (check_node(c, p, depth + 1, 0)) goto fail;
      path_pop(&c->path, old);
    }
  } else if (props || req || addl) {
    CHK_FAIL("properties/required/additionalProperties belong to type object");
  }
  items = get(s, "items");
  if (bits & T_ARRAY) {
    if (!items) CHK_FAIL("an array needs \"items\"");
    old = path_push(&c->path, ".items");
    if (check_node(c, items, depth + 1, 0)) goto fail;
    path_pop(&c->path, old);
  } else if (items) {
    CHK_FAIL("items belongs to type array");
  }
  return 0;
fail:
  return -1;
}

int hub_llm_schema_check(const cJSON *schema, char *err, size_t errlen) {
  checker c;
  memset(&c, 0, sizeof c);
  c.err = err;
  c.errlen = errlen;
  path_push(&c.path, "$");
  return check_node(&c, schema, 0, 1);
}

static int validate_node(checker *c, const cJSON *s, const cJSON *v, int depth) {
  const cJSON *type = get(s, "type"), *any = get(s, "anyOf"), *en = get(s, "enum"), *cn = get(s, "const");
  const cJSON *props = get(s, "properties"), *items = get(s, "items"), *e, *p;
  int bits = 0;
  size_t old;
  if (depth > HUB_LLM_SCHEMA_MAX_DEPTH + 1) CHK_FAIL("nested too deep");
  if (!cJSON_IsObject(s)) CHK_FAIL("the schema is not an object");
  if (any) {
    int ok = 0;
    cJSON_ArrayForEach(e, any) {
      checker sub = *c; /* errors of the branches are not reported */
      char tmp[8];
      sub.err = tmp;
      sub.errlen = sizeof tmp;
      if (validate_node(&sub, e, v, depth + 1) == 0) {
        ok = 1;
        break;
      }
    }
    if (!ok) CHK_FAIL("matches none of the anyOf alternatives");
  }
  if (type && types_of(c, type, &bits)) goto fail;
  if (bits && !(value_bits(v) & bits)) CHK_FAIL("expected %s, got %s", cJSON_IsString(type) ? type->valuestring : "another type", value_type_name(v));
  if (en) {
    int ok = 0;
    cJSON_ArrayForEach(e, en) ok |= cJSON_Compare(e, v, 1);
    if (!ok) {
      if (cJSON_IsString(v)) CHK_FAIL("\"%.60s\" is not one of the allowed values", v->valuestring);
      CHK_FAIL("not one of the allowed values");
    }
  }
  if (cn && !cJSON_Compare(cn, v, 1)) CHK_FAIL("not the required constant");
  if (cJSON_IsObject(v) && cJSON_IsObject(props)) {
    int closed = cJSON_IsFalse(get(s, "additionalProperties"));
    const cJSON *req = get(s, "required");
    cJSON_ArrayForEach(e, v) {
      if (!get(props, e->string) && closed) CHK_FAIL("unexpected property \"%.60s\"", e->string);
    }
    cJSON_ArrayForEach(p, props) { /* duplicates: O(properties x members), bounded */
      int n = 0;
      cJSON_ArrayForEach(e, v) n += strcmp(e->string, p->string) == 0;
      if (n > 1) CHK_FAIL("property \"%.60s\" appears %d times", p->string, n);
    }
    cJSON_ArrayForEach(e, req) {
      if (cJSON_IsString(e) && !get(v, e->valuestring)) CHK_FAIL("missing property \"%.60s\"", e->valuestring);
    }
    cJSON_ArrayForEach(e, v) {
      const cJSON *ps = get(props, e->string);
      if (!ps) continue;
      old = path_push(&c->path, ".%s", e->string);
      if (validate_node(c, ps, e, depth + 1)) goto fail;
      path_pop(&c->path, old);
    }
  }
  if (cJSON_IsArray(v) && items) {
    long i = 0;
    cJSON_ArrayForEach(e, v) {
      old = path_push(&c->path, "[%ld]", i++);
      if (validate_node(c, items, e, depth + 1)) goto fail;
      path_pop(&c->path, old);
    }
  }
  return 0;
fail:
  return -1;
}

int hub_llm_schema_validate(const cJSON *schema, const cJSON *value, char *err, size_t errlen) {
  checker c;
  memset(&c, 0, sizeof c);
  c.err = err;
  c.errlen = errlen;
  path_push(&c.path, "$");
  if (value) return validate_node(&c, schema, value, 0);
  set_err(err, errlen, "$: no value");
  return -1;
}

#undef CHK_FAIL

/* Adds the description to s (deleting s on failure); returns s or NULL. */
static cJSON *with_description(cJSON *s, const char *description) {
  if (s && description && !cJSON_AddStringToObject(s, "description", description)) {
    cJSON_Delete(s);
    s = NULL;
  }
  return s;
}

cJSON *hub_llm_schema_object(const char *description) {
  cJSON *s = cJSON_CreateObject();
  if (!s || !cJSON_AddStringToObject(s, "type", "object") || !cJSON_AddObjectToObject(s, "properties") ||
      !cJSON_AddArrayToObject(s, "required") || !cJSON_AddFalseToObject(s, "additionalProperties")) {
    cJSON_Delete(s);
    return NULL;
  }
  return with_description(s, description);
}

cJSON *hub_llm_schema_scalar(const char *type, const char *description) {
  cJSON *s = cJSON_CreateObject();
  if (!s || !cJSON_AddStringToObject(s, "type", type)) {
    cJSON_Delete(s);
    return NULL;
  }
  return with_description(s, description);
}

cJSON *hub_llm_schema_array(cJSON *items, const char *description) {
  cJSON *s = cJSON_CreateObject();
  if (!s || !items || !cJSON_AddStringToObject(s, "type", "array")) goto fail;
  if (!cJSON_AddItemToObject(s, "items", items)) goto fail;
  return with_description(s, description);
fail:
  cJSON_Delete(items);
  cJSON_Delete(s);
  return NULL;
}

cJSON *hub_llm_schema_enum(const char *const *values, size_t n, const char *description) {
  cJSON *s = cJSON_CreateObject(), *en;
  size_t i;
  if (!s || !cJSON_AddStringToObject(s, "type", "string") || !(en = cJSON_AddArrayToObject(s, "enum"))) goto fail;
  for (i = 0; i < n; i++) {
    cJSON *v = cJSON_CreateString(values[i]);
    if (!v || !cJSON_AddItemToArray(en, v)) {
      cJSON_Delete(v);
      goto fail;
    }
  }
  return with_description(s, description);
fail:
  cJSON_Delete(s);
  return NULL;
}

static int has_null(const cJSON *arr, int as_string) {
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    if (as_string ? (cJSON_IsString(e) && strcmp(e->valuestring, "null") == 0) : cJSON_IsNull(e)) return 1;
    if (!as_string && cJSON_IsObject(e) && cJSON_IsString(get(e, "type")) && strcmp(get_str(e, "type"), "null") == 0)
      return 1;
  }
  return 0;
}

/* Makes schema p admit null (see hub_llm_schema_add). Returns 0, or -1 with p possibly
 * half-changed (the caller deletes it). */
static int make_nullable(cJSON *p) {
  cJSON *type = cJSON_GetObjectItemCaseSensitive(p, "type"), *any = cJSON_GetObjectItemCaseSensitive(p, "anyOf");
  cJSON *en = cJSON_GetObjectItemCaseSensitive(p, "enum"), *n = NULL;
  if (cJSON_IsString(type)) {
    if (strcmp(type->valuestring, "null") != 0) {
      n = cJSON_CreateArray();
      if (!n || !cJSON_AddItemToArray(n, cJSON_CreateString(type->valuestring)) ||
          !cJSON_AddItemToArray(n, cJSON_CreateString("null")) || !cJSON_ReplaceItemInObjectCaseSensitive(p, "type", n))
        goto fail;
      n = NULL;
    }
  } else if (cJSON_IsArray(type)) {
    if (!has_null(type, 1) && !cJSON_AddItemToArray(type, cJSON_CreateString("null"))) goto fail;
  } else if (cJSON_IsArray(any)) {
    if (!has_null(any, 0)) {
      n = hub_llm_schema_scalar("null", NULL);
      if (!n || !cJSON_AddItemToArray(any, n)) goto fail;
      n = NULL;
    }
  } else {
    goto fail;
  }
  if (cJSON_IsArray(en) && !has_null(en, 0)) {
    n = cJSON_CreateNull();
    if (!n || !cJSON_AddItemToArray(en, n)) goto fail;
    n = NULL;
  }
  return 0;
fail:
  cJSON_Delete(n);
  return -1;
}

int hub_llm_schema_add(cJSON *object, const char *name, cJSON *prop, int nullable) {
  cJSON *props = cJSON_GetObjectItemCaseSensitive(object, "properties");
  cJSON *req = cJSON_GetObjectItemCaseSensitive(object, "required"), *n = NULL;
  if (!prop || !name || !cJSON_IsObject(props) || !cJSON_IsArray(req) || get(props, name)) goto fail;
  if (nullable && make_nullable(prop)) goto fail;
  n = cJSON_CreateString(name);
  if (!n || !cJSON_AddItemToArray(req, n)) goto fail;
  n = NULL;
  if (!cJSON_AddItemToObject(props, name, prop)) {
    cJSON_DeleteItemFromArray(req, cJSON_GetArraySize(req) - 1);
    goto fail;
  }
  return 0;
fail:
  cJSON_Delete(n);
  cJSON_Delete(prop);
  return -1;
}

/* ---- untrusted text -------------------------------------------------------------------- */

/* What a code point becomes inside a quote: itself, 0x20, or 0 (dropped). */
static uint32_t quote_map(uint32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029) return ' ';
  if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) return 0;
  if ((cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2064) ||
      (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF)
    return 0;
  if (cp == '<') return 0x2039; /* ‹ */
  if (cp == '>') return 0x203A; /* › */
  return cp;
}

char *hub_llm_quote_untrusted(const char *text, size_t max_len) {
  static const char ell[] = "\xE2\x80\xA6"; /* … */
  const unsigned char *s = (const unsigned char *)(text ? text : "");
  size_t len = strlen((const char *)s), i = 0, o, open = strlen(HUB_LLM_QUOTE_OPEN);
  size_t close = strlen(HUB_LLM_QUOTE_CLOSE);
  char *out;
  int cut = 0;
  if (max_len > HUB_LLM_QUOTE_MAX) max_len = HUB_LLM_QUOTE_MAX;
  out = hub__malloc(open + max_len + sizeof ell - 1 + close + 1);
  if (!out) goto done;
  memcpy(out, HUB_LLM_QUOTE_OPEN, open);
  o = open;
  while (i < len) {
    uint32_t cp;
    char enc[4];
    size_t n = utf8_next(s + i, len - i, &cp), m;
    i += n;
    cp = quote_map(cp);
    if (!cp) continue;
    m = utf8_put(enc, cp);
    if (o - open + m > max_len) {
      cut = 1;
      break;
    }
    memcpy(out + o, enc, m);
    o += m;
  }
  if (cut) {
    memcpy(out + o, ell, sizeof ell - 1);
    o += sizeof ell - 1;
  }
  memcpy(out + o, HUB_LLM_QUOTE_CLOSE, close);
  o += close;
  out[o] = 0;
done:
  return out;
}

/* ---- plan ------------------------------------------------------------------------------ */

static int valid_name(const char *n) {
  size_t i;
  if (!n || !*n) return 0;
  for (i = 0; n[i]; i++)
    if (i >= 64 || !(isalnum((unsigned char)n[i]) || n[i] == '_' || n[i] == '-')) return 0;
  return 1;
}

/* Adds {"role": role, "content": text} to msgs; returns 0 or -1. */
static int add_message(cJSON *msgs, const char *role, const char *text) {
  cJSON *m = cJSON_CreateObject();
  if (!m || !cJSON_AddStringToObject(m, "role", role) || !cJSON_AddStringToObject(m, "content", text) ||
      !cJSON_AddItemToArray(msgs, m)) {
    cJSON_Delete(m);
    return -1;
  }
  return 0;
}

/* Adds a copy of the schema under key k of o; returns 0 or -1. */
static int add_schema(cJSON *o, const char *k, const cJSON *schema) {
  cJSON *d = cJSON_Duplicate(schema, 1);
  if (!d || !cJSON_AddItemToObject(o, k, d)) {
    cJSON_Delete(d);
    return -1;
  }
  return 0;
}

static cJSON *body_openai(const hub_llm_config *cfg, const hub_llm_task *t, int official) {
  cJSON *b = cJSON_CreateObject(), *msgs, *rf, *js;
  if (!b || !cJSON_AddStringToObject(b, "model", cfg->model) || !(msgs = cJSON_AddArrayToObject(b, "messages")))
    goto fail;
  if (t->system && add_message(msgs, "system", t->system)) goto fail;
  if (add_message(msgs, "user", t->user)) goto fail;
  if (!(rf = cJSON_AddObjectToObject(b, "response_format")) || !cJSON_AddStringToObject(rf, "type", "json_schema") ||
      !(js = cJSON_AddObjectToObject(rf, "json_schema")) || !cJSON_AddStringToObject(js, "name", t->schema_name))
    goto fail;
  if (t->description && !cJSON_AddStringToObject(js, "description", t->description)) goto fail;
  if (!cJSON_AddTrueToObject(js, "strict") || add_schema(js, "schema", t->schema)) goto fail;
  /* OpenAI itself wants max_completion_tokens (max_tokens is refused by its reasoning
   * models); compatible servers (vLLM, llama.cpp, OpenRouter) all read max_tokens. */
  if (!cJSON_AddNumberToObject(b, official ? "max_completion_tokens" : "max_tokens", t->max_tokens) ||
      !cJSON_AddFalseToObject(b, "stream"))
    goto fail;
  return b;
fail:
  cJSON_Delete(b);
  return NULL;
}

static cJSON *body_ollama(const hub_llm_config *cfg, const hub_llm_task *t) {
  cJSON *b = cJSON_CreateObject(), *msgs, *opt;
  if (!b || !cJSON_AddStringToObject(b, "model", cfg->model) || !(msgs = cJSON_AddArrayToObject(b, "messages")))
    goto fail;
  if (t->system && add_message(msgs, "system", t->system)) goto fail;
  if (add_message(msgs, "user", t->user) || add_schema(b, "format", t->schema) || !cJSON_AddFalseToObject(b, "stream"))
    goto fail;
  if (!(opt = cJSON_AddObjectToObject(b, "options")) || !cJSON_AddNumberToObject(opt, "num_predict", t->max_tokens) ||
      !cJSON_AddNumberToObject(opt, "temperature", 0))
    goto fail;
  return b;
fail:
  cJSON_Delete(b);
  return NULL;
}

static cJSON *body_anthropic(const hub_llm_config *cfg, const hub_llm_task *t) {
  cJSON *b = cJSON_CreateObject(), *msgs, *tools, *tool, *choice;
  if (!b || !cJSON_AddStringToObject(b, "model", cfg->model) || !cJSON_AddNumberToObject(b, "max_tokens", t->max_tokens))
    goto fail;
  if (t->system && !cJSON_AddStringToObject(b, "system", t->system)) goto fail;
  if (!(msgs = cJSON_AddArrayToObject(b, "messages")) || add_message(msgs, "user", t->user)) goto fail;
  if (!(tools = cJSON_AddArrayToObject(b, "tools"))) goto fail;
  tool = cJSON_CreateObject();
  if (!tool || !cJSON_AddItemToArray(tools, tool)) {
    cJSON_Delete(tool);
    goto fail;
  }
  if (!cJSON_AddStringToObject(tool, "name", t->schema_name) ||
      !cJSON_AddStringToObject(tool, "description", t->description ? t->description : "Record the answer in this exact shape.") ||
      add_schema(tool, "input_schema", t->schema))
    goto fail;
  if (!(choice = cJSON_AddObjectToObject(b, "tool_choice")) || !cJSON_AddStringToObject(choice, "type", "tool") ||
      !cJSON_AddStringToObject(choice, "name", t->schema_name))
    goto fail;
  return b;
fail:
  cJSON_Delete(b);
  return NULL;
}

int hub_llm_plan(const hub_llm_config *cfg, const hub_llm_task *t, hub_llm_request *out, char *err, size_t errlen) {
  cJSON *body = NULL;
  char *auth = NULL, serr[HUB_LLM_MSG];
  const char *path;
  int official = 0, https = 0, loopback = 0;
  char host[256];
  memset(out, 0, sizeof *out);
  if (!cfg || !cfg->base_url || !cfg->model || !t || !t->user || !t->schema) {
    set_err(err, errlen, "plan: missing configuration, user prompt or schema");
    goto fail;
  }
  if (!valid_name(t->schema_name)) {
    set_err(err, errlen, "plan: the schema name must match [A-Za-z0-9_-]{1,64}");
    goto fail;
  }
  if (t->max_tokens < 1 || t->max_tokens > 1000000) {
    set_err(err, errlen, "plan: max_tokens must be in 1..1000000");
    goto fail;
  }
  if (hub_llm_schema_check(t->schema, serr, sizeof serr)) {
    set_err(err, errlen, "plan: schema %s", serr);
    goto fail;
  }
  if (parse_base_url(cfg->base_url, &https, &loopback, host, sizeof host, err, errlen)) goto fail;
  switch (cfg->provider) {
  case HUB_LLM_OPENAI:
    official = strcasecmp(host, "api.openai.com") == 0;
    body = body_openai(cfg, t, official);
    path = "/chat/completions";
    break;
  case HUB_LLM_OLLAMA:
    body = body_ollama(cfg, t);
    path = "/api/chat";
    break;
  case HUB_LLM_ANTHROPIC:
  default:
    body = body_anthropic(cfg, t);
    path = "/v1/messages";
    break;
  }
  if (!body) goto oom;
  out->body = cJSON_PrintUnformatted(body);
  if (!out->body) goto oom;
  if (strlen(out->body) > HUB_LLM_MAX_REQUEST) {
    set_err(err, errlen, "plan: the request body is over %u bytes", (unsigned)HUB_LLM_MAX_REQUEST);
    goto fail;
  }
  snprintf(out->method, sizeof out->method, "POST");
  out->url = hub__printf("%s%s", cfg->base_url, path);
  out->headers = cJSON_CreateObject();
  if (!out->url || !out->headers || !cJSON_AddStringToObject(out->headers, "Content-Type", "application/json") ||
      !cJSON_AddStringToObject(out->headers, "Accept", "application/json"))
    goto oom;
  if (cfg->provider == HUB_LLM_ANTHROPIC) {
    if ((cfg->api_key && !cJSON_AddStringToObject(out->headers, "x-api-key", cfg->api_key)) ||
        !cJSON_AddStringToObject(out->headers, "anthropic-version", ANTHROPIC_VERSION))
      goto oom;
  } else if (cfg->api_key) {
    auth = hub__printf("Bearer %s", cfg->api_key);
    if (!auth || !cJSON_AddStringToObject(out->headers, "Authorization", auth)) goto oom;
  }
  if (auth) memset(auth, 0, strlen(auth));
  hub_free(auth);
  cJSON_Delete(body);
  return 0;
oom:
  set_err(err, errlen, "plan: out of memory");
fail:
  if (auth) memset(auth, 0, strlen(auth));
  hub_free(auth);
  cJSON_Delete(body);
  hub_llm_request_free(out);
  return -1;
}

void hub_llm_request_free(hub_llm_request *rq) {
  cJSON *h;
  if (!rq) return;
  if (rq->headers)
    cJSON_ArrayForEach(h, rq->headers) if (cJSON_IsString(h)) memset(h->valuestring, 0, strlen(h->valuestring));
  cJSON_Delete(rq->headers);
  cJSON_free(rq->body);
  hub_free(rq->url);
  memset(rq, 0, sizeof *rq);
}

/* ---- read ------------------------------------------------------------------------------ */

static const char *header(const cJSON *headers, const char *name) {
  const cJSON *h;
  cJSON_ArrayForEach(h, headers) if (h->string && strcasecmp(h->string, name) == 0 && cJSON_IsString(h)) return h->valuestring;
  return NULL;
}

/* Parses "12" or "1.5" (at most 9 integer digits) as a count of units; -1 if malformed. */
static double parse_decimal(const char *s) {
  double v = 0, scale = 0.1;
  int digits = 0;
  while (*s == ' ') s++;
  for (; isdigit((unsigned char)*s); s++) {
    if (++digits > 9) return -1;
    v = v * 10 + (*s - '0');
  }
  if (!digits) return -1;
  if (*s == '.') {
    for (s++; isdigit((unsigned char)*s); s++, scale /= 10) v += (*s - '0') * scale;
  }
  while (*s == ' ') s++;
  return *s ? -1 : v;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d) {
  int64_t era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* Parses an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into seconds; -1 if malformed. */
static int64_t parse_http_date(const char *s) {
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  char wd[4], mon[4];
  int d, y, hh, mm, ss, n = 0, m;
  const char *p;
  if (sscanf(s, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", wd, &d, mon, &y, &hh, &mm, &ss, &n) != 7 || n == 0 ||
      s[n] != 0)
    return -1;
  p = strlen(mon) == 3 ? strstr(months, mon) : NULL;
  if (!p || (p - months) % 3) return -1;
  m = (int)((p - months) / 3) + 1;
  if (d < 1 || d > 31 || y < 1970 || hh > 23 || mm > 59 || ss > 60 || hh < 0 || mm < 0 || ss < 0) return -1;
  return days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
}

/* The provider's wait in ms, clamped into [0, HUB_LLM_RETRY_AFTER_MAX_MS] (a wait of years
 * would silence the briefing until its items change), or -1 when it gives none. */
static int64_t retry_after_ms(const cJSON *headers, int64_t now_ms) {
  const char *h = header(headers, "retry-after-ms");
  double v;
  int64_t t;
  if (h && (v = parse_decimal(h)) >= 0) return hub__num_clamp(v, 0, HUB_LLM_RETRY_AFTER_MAX_MS);
  h = header(headers, "retry-after");
  if (!h) return -1;
  if ((v = parse_decimal(h)) >= 0) return hub__num_clamp(v * 1000, 0, HUB_LLM_RETRY_AFTER_MAX_MS);
  if ((t = parse_http_date(h)) < 0) return -1;
  return hub__num_clamp((double)t * 1000 - (double)now_ms, 0, HUB_LLM_RETRY_AFTER_MAX_MS);
}

/* Returns 1 if s contains needle, ignoring ASCII case. */
static int contains_ci(const char *s, const char *needle) {
  size_t n = strlen(needle);
  for (; s && *s; s++)
    if (strncasecmp(s, needle, n) == 0) return 1;
  return 0;
}

static int is_quota(const char *type, const char *code, const char *msg) {
  static const char *const codes[] = {"insufficient_quota", "billing_error", "enforced_spend_limit_reached",
                                      "billing_hard_limit_reached", "billing_not_active", "insufficient_credits"};
  static const char *const phrases[] = {"insufficient_quota", "exceeded your current quota", "credit balance",
                                        "insufficient credits", "enforced_spend_limit_reached", "spend limit",
                                        "billing"};
  size_t i;
  for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
    if ((type && strcmp(type, codes[i]) == 0) || (code && strcmp(code, codes[i]) == 0)) return 1;
  for (i = 0; msg && i < sizeof phrases / sizeof phrases[0]; i++)
    if (contains_ci(msg, phrases[i])) return 1;
  return 0;
}

/* Classifies an error answer (any non-2xx, or a 2xx whose body is an error object). */
static void read_error(const hub_llm_config *cfg, int status, const cJSON *doc, hub_llm_result *out) {
  const cJSON *e = get(doc, "error");
  const char *type = NULL, *code = NULL, *msg = NULL;
  char detail[DETAIL + 1] = "", codebuf[24], tag[80] = "";
  hub_llm_kind k;
  if (cJSON_IsObject(e)) {
    const cJSON *c = get(e, "code");
    type = get_str(e, "type");
    msg = get_str(e, "message");
    if (cJSON_IsString(c)) code = c->valuestring;
    else if (cJSON_IsNumber(c)) {
      snprintf(codebuf, sizeof codebuf, "%d", c->valueint);
      code = codebuf;
      if (status >= 200 && status < 300 && c->valueint >= 400 && c->valueint < 600) status = c->valueint;
    }
  } else if (cJSON_IsString(e)) {
    msg = e->valuestring;
  } else {
    msg = get_str(doc, "message");
  }
  if (msg) {
    char *tmp = hub__strndup(msg, strlen(msg) < 4096 ? strlen(msg) : 4096);
    if (tmp) {
      scrub_key(tmp, cfg ? cfg->api_key : NULL);
      snprintf(detail, sizeof detail, "%s", tmp);
      hub_free(tmp);
    }
  }
  if (is_quota(type, code, msg)) k = HUB_LLM_QUOTA;
  else if (status == 401 || status == 402 || status == 403 ||
           (type && (strcmp(type, "authentication_error") == 0 || strcmp(type, "permission_error") == 0)))
    k = HUB_LLM_AUTH;
  else if (status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599) ||
           (type && (strcmp(type, "overloaded_error") == 0 || strcmp(type, "rate_limit_error") == 0)))
    k = HUB_LLM_RETRYABLE;
  else
    k = HUB_LLM_REQUEST;
  if (type || code) snprintf(tag, sizeof tag, " (%.60s)", type ? type : code);
  finish(out, cfg, k, "HTTP %d %s%s%s%s", status, hub_llm_kind_code(k), tag, detail[0] ? ": " : "", detail);
}

/* Parses the model's text as the output object into out->output and validates it against
 * the task's schema; sets out's kind and message either way. */
static void take_output(const hub_llm_config *cfg, const hub_llm_task *t, const char *text, hub_llm_result *out) {
  char verr[HUB_LLM_MSG];
  if (!text) {
    finish(out, cfg, HUB_LLM_BAD_OUTPUT, "bad output: the reply has no text content");
  } else if (!(out->output = cJSON_Parse(text))) {
    finish(out, cfg, HUB_LLM_BAD_OUTPUT, "bad output: the content is not JSON: %.60s", text);
  } else if (!cJSON_IsObject(out->output)) {
    finish(out, cfg, HUB_LLM_BAD_OUTPUT, "bad output: the content is JSON but not an object");
  } else if (t && t->schema && hub_llm_schema_validate(t->schema, out->output, verr, sizeof verr)) {
    finish(out, cfg, HUB_LLM_BAD_OUTPUT, "bad output: violates the schema at %s", verr);
  } else {
    finish(out, cfg, HUB_LLM_OK, "ok");
  }
}

static long usage_num(const cJSON *u, const char *k) {
  const cJSON *v = get(u, k);
  return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e12 ? (long)v->valuedouble : -1;
}

static void read_openai(const hub_llm_config *cfg, const hub_llm_task *t, const cJSON *doc, hub_llm_result *out) {
  const cJSON *choices = get(doc, "choices"), *c0 = cJSON_GetArrayItem(choices, 0), *msg = get(c0, "message");
  const char *finish_reason = get_str(c0, "finish_reason"), *refusal = get_str(msg, "refusal");
  out->input_tokens = usage_num(get(doc, "usage"), "prompt_tokens");
  out->output_tokens = usage_num(get(doc, "usage"), "completion_tokens");
  if (!cJSON_IsObject(msg))
    finish(out, cfg, HUB_LLM_BAD_OUTPUT, "bad output: no choices[0].message in the reply");
  else if (refusal && *refusal)
    finish(out, cfg, HUB_LLM_REFUSED, "refused: %.160s", refusal);
  else if (finish_reason && strcmp(finish_reason, "content_filter") == 0)
    finish(out, cfg, HUB_LLM_REFUSED, "refused: stopped by the content filter");
  else if (finish_reason && strcmp(finish_reason, "length") == 0)
    finish(out, cfg, HUB_LLM_TRUNCATED, "truncated: finish_reason length (max_tokens %d)", t ? t->max_tokens : 0);
  else
    take_output(cfg, t, get_str(msg, "content"), out);
}

static void read_ollama(const hub_llm_config *cfg, const hub_llm_task *t, const cJSON *doc, hub_llm_result *out) {
  const cJSON *msg = get(doc, "message");
  const char *done_reason = get_str(doc, "done_reason");
  out->input_tokens = usage_num(doc, "prompt_eval_count");
  out->output_tokens = usage_num(doc, "eval_count");
  if (!cJSON_IsObject(msg))
    finish(out, cfg, HUB_LLM_BAD_OUTPUT, "bad output: no message in the reply");
  else if (done_reason && strcmp(done_reason, "length") == 0)
    finish(out, cfg, HUB_LLM_TRUNCATED, "truncated: done_reason length (num_predict %d)", t ? t->max_tokens : 0);
  else
    take_output(cfg, t, get_str(msg, "content"), out);
}

static void read_anthropic(const hub_llm_config *cfg, const hub_llm_task *t, const cJSON *doc, hub_llm_result *out) {
  const cJSON *content = get(doc, "content"), *b, *use = NULL;
  const char *stop = get_str(doc, "stop_reason"), *name;
  char *text = NULL;
  out->input_tokens = usage_num(get(doc, "usage"), "input_tokens");
  out->output_tokens = usage_num(get(doc, "usage"), "output_tokens");
  cJSON_ArrayForEach(b, content) {
    const char *type = get_str(b, "type");
    if (type && strcmp(type, "tool_use") == 0) {
      use = b;
      break;
    }
  }
  name = get_str(use, "name");
  if (stop && strcmp(stop, "max_tokens") == 0)
    finish(out, cfg, HUB_LLM_TRUNCATED, "truncated: stop_reason max_tokens (%d)", t ? t->max_tokens : 0);
  else if (stop && strcmp(stop, "refusal") == 0)
    finish(out, cfg, HUB_LLM_REFUSED, "refused: stop_reason refusal");
  else if (!use)
    finish(out, cfg, HUB_LLM_BAD_OUTPUT, "bad output: no tool_use block in the reply (stop_reason %.40s)",
           stop ? stop : "none");
  else if (t && t->schema_name && (!name || strcmp(name, t->schema_name) != 0))
    finish(out, cfg, HUB_LLM_BAD_OUTPUT, "bad output: the tool_use block names another tool");
  else if (!cJSON_IsObject(get(use, "input")))
    finish(out, cfg, HUB_LLM_BAD_OUTPUT, "bad output: the tool_use input is not an object");
  else if (!(text = cJSON_PrintUnformatted(get(use, "input"))))
    finish(out, cfg, HUB_LLM_BAD_OUTPUT, "out of memory reading the reply");
  else
    take_output(cfg, t, text, out);
  cJSON_free(text);
}

void hub_llm_read(const hub_llm_config *cfg, const hub_llm_task *t, int status, const cJSON *headers,
                  const char *body, size_t body_len, int64_t now_ms, hub_llm_result *out) {
  cJSON *doc = NULL;
  result_init(out);
  out->status = status;
  if (status < 200 || status > 299) out->retry_after_ms = retry_after_ms(headers, now_ms);
  if (body && body_len <= HUB_LLM_MAX_BODY) doc = cJSON_ParseWithLength(body, body_len);
  if (status < 200 || status > 299) {
    read_error(cfg, status, doc, out);
    goto done;
  }
  if (!body || body_len > HUB_LLM_MAX_BODY) {
    finish(out, cfg, HUB_LLM_BAD_OUTPUT, "bad output: the reply is missing or over %u bytes", (unsigned)HUB_LLM_MAX_BODY);
    goto done;
  }
  if (!cJSON_IsObject(doc)) {
    finish(out, cfg, HUB_LLM_BAD_OUTPUT, "bad output: HTTP %d but the reply is not a JSON object", status);
    goto done;
  }
  if (get(doc, "error") && !get(doc, "choices") && !get(doc, "content") && !get(doc, "message")) {
    read_error(cfg, status, doc, out);
    goto done;
  }
  switch (cfg ? cfg->provider : HUB_LLM_OPENAI) {
  case HUB_LLM_OPENAI: read_openai(cfg, t, doc, out); break;
  case HUB_LLM_OLLAMA: read_ollama(cfg, t, doc, out); break;
  case HUB_LLM_ANTHROPIC: read_anthropic(cfg, t, doc, out); break;
  }
done:
  if (out->kind != HUB_LLM_OK && out->output) {
    cJSON_Delete(out->output);
    out->output = NULL;
  }
  cJSON_Delete(doc);
}

/* ---- retry policy ---------------------------------------------------------------------- */

int64_t hub_llm_retry_delay(const hub_llm_result *r, int attempt) {
  int64_t wait = HUB_LLM_BACKOFF_MS;
  int i;
  if (!r || attempt < 1 || attempt >= HUB_LLM_MAX_ATTEMPTS) return -1;
  if (r->kind != HUB_LLM_RETRYABLE && r->kind != HUB_LLM_TIMEOUT && r->kind != HUB_LLM_NETWORK) return -1;
  if (r->retry_after_ms >= 0) return r->retry_after_ms > HUB_LLM_MAX_RETRY_WAIT_MS ? -1 : r->retry_after_ms;
  for (i = 1; i < attempt; i++) wait *= 2;
  return wait;
}
