/*
 * query.c — the inbox search language (api layer): parses a query (grammar in query.h) into
 * terms, checks every value, and assembles SQL text from the caller's schema fragments with a
 * `?` for every user value. Pure: no SQLite calls; depends only on the core's memory and
 * buffer helpers (hub_int.h).
 *
 * Two passes: parse() reads the whole text into a term table (positions kept for messages),
 * then build() writes WHERE and ORDER BY. A negated term is written "(fragment) IS NOT 1",
 * which is true when the fragment is false or NULL (no triage row, NULL body), so -x is
 * always exactly the complement of x.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "hub_int.h"
#include "api/query.h"
#include "triage/triage.h"

/* ---- the default schema ------------------------------------------------------------------
 * Tables: items i; item_reasons r(item_id, code, detail) queried per EXISTS; triage t
 * LEFT JOINed on t.item_id = i.id (so every t.* may be NULL: the fragments treat NULL as
 * "not in that state").
 *
 * label: labels is the JSON array text cJSON prints (["bug","good first issue"]); SQLite is
 * built without JSON1, so the label is found as its quoted JSON string inside that text,
 * ASCII case-insensitively. Both sides first turn every escaped backslash (\\) into char(1)
 * and then every escaped quote (\") into char(2) (cJSON writes control bytes as \u00xx, so
 * raw 1 and 2 never occur): afterwards every '"' left is a string delimiter, so the needle
 * "name" can only match a whole label — exact-label matching, not a substring. The one
 * exception: a label that is a lone comma "," also matches between two labels when the
 * first ends in a comma.
 * is:unread / is:read: the local triage read flag when set, else GitHub's unread flag.
 * is:closed includes merged pulls (as on GitHub); is:merged is merged only.
 * is:done is t.done_at set and the item not updated since (i.updated_at is in seconds, t.*
 * times in ms): an item updated upstream after it was marked done returns by itself.
 * source:github / source:gfi split on the good-first reasons (gfi, gfi_search).
 * hide: the inbox's default — not done, not snoozed now, not muted, not dismissed. */
#define REASON_EXISTS "EXISTS (SELECT 1 FROM item_reasons r WHERE r.item_id = i.id AND "
#define JSON_NORM(x) "replace(replace(lower(" x "), '\\\\', char(1)), '\\\"', char(2))"

const hub__query_schema hub__query_default_schema = {
    "i.repo = ? COLLATE NOCASE",
    "i.repo LIKE ? ESCAPE '\\'",
    "i.repo LIKE ? ESCAPE '\\'",
    "i.author = ? COLLATE NOCASE",
    "instr(" JSON_NORM("i.labels") ", " JSON_NORM("?") ") > 0",
    REASON_EXISTS "r.code = ?)",
    "i.title LIKE ? ESCAPE '\\' OR i.body LIKE ? ESCAPE '\\'",
    {
        "i.kind = 'issue'",                    /* issue */
        "i.kind = 'pull'",                     /* pr */
        "i.state = 'open'",                    /* open */
        "i.state IN ('closed', 'merged')",     /* closed */
        "i.state = 'merged'",                  /* merged */
        "coalesce(t.read, 1 - i.unread) = 0",  /* unread */
        "coalesce(t.read, 1 - i.unread) = 1",  /* read */
        "t.saved = 1",                         /* saved */
        "t.done_at IS NOT NULL AND coalesce(i.updated_at, 0) * 1000 <= t.done_at", /* done */
        "t.snoozed_until > :now",              /* snoozed */
        "t.muted = 1",                         /* muted */
        "t.dismissed = 1",                     /* dismissed */
    },
    {
        "i.source = 'github' AND " REASON_EXISTS "r.code NOT IN ('gfi', 'gfi_search'))",
        "i.source = 'tangled'",
        REASON_EXISTS "r.code IN ('gfi', 'gfi_search'))",
    },
    {"i.rank", "coalesce(i.updated_at, i.created_at)", "i.created_at"},
    HUB__QSORT_SCORE,
    "i.id",
    HUB_TRIAGE_VISIBLE_SQL,
};

/* ---- terms ------------------------------------------------------------------------------ */

enum { K_TEXT, K_REPO, K_ORG, K_AUTHOR, K_LABEL, K_REASON, K_IS, K_SOURCE, K_SORT, K_COUNT };
static const char *const key_names[K_COUNT] = {"", "repo", "org", "author", "label",
                                               "reason", "is", "source", "sort"};
static const char *const is_words[HUB__QIS_COUNT] = {
#define X(name, word) word,
    HUB_QUERY_IS_MAP(X)
#undef X
};
static const char *const source_words[HUB__QSRC_COUNT] = {"github", "tangled", "gfi"};
static const char *const sort_words[HUB__QSORT_COUNT] = {"score", "updated", "created"};

typedef struct {
  int key;       /* K_x */
  int neg;       /* written with a leading '-' */
  int group;     /* index of its OR group */
  int sub;       /* is:/source:/sort: the value's index; repo: 1 = owner/name, 0 = name */
  int asc;       /* sort: ...-asc */
  size_t pos;    /* first byte of the term (the '-' if any) */
  size_t kpos;   /* first byte of the key (or of the value for free text) */
  size_t vpos;   /* first byte of the value (its opening quote if quoted) */
  size_t vlen;
  char val[HUB_QUERY_MAX_VALUE + 1];
} term;

typedef struct {
  const char *s;
  size_t len;
  const hub__query_schema *sc;
  char *err;
  size_t errlen;
  term t[HUB_QUERY_MAX_TERMS];
  int n;                                /* terms */
  int ngroups;
  size_t or_pos[HUB_QUERY_MAX_TERMS];   /* position of the OR before group g+1 */
  int sort;                             /* index of the sort: term or -1 */
  hub__query *out;
  hub__buf w;                           /* the user's part of WHERE being built */
} ctx;

/* Writes "<message> at <pos>" into the caller's err; returns -1. */
static int fail(ctx *c, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(ctx *c, size_t pos, const char *fmt, ...) {
  char msg[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (c->err && c->errlen) snprintf(c->err, c->errlen, "%s at %zu", msg, pos);
  return -1;
}

static int is_ws(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}
static int is_alpha(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }
static char lower(char ch) { return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch; }

/* Case-insensitive (ASCII) equality of s[0..n) and the NUL-terminated lower-case word w. */
static int word_eq(const char *s, size_t n, const char *w) {
  size_t i;
  for (i = 0; i < n; i++)
    if (!w[i] || lower(s[i]) != w[i]) return 0;
  return w[n] == 0;
}

/* Index of s[0..n) in words[0..count), or -1. */
static int lookup(const char *s, size_t n, const char *const *words, int count) {
  int i;
  for (i = 0; i < count; i++)
    if (word_eq(s, n, words[i])) return i;
  return -1;
}

/* Reads one value at *p (quoted or bare) into t->val; advances *p past it. 0 or -1. */
static int read_value(ctx *c, size_t *p, term *t) {
  size_t q = *p;
  t->vpos = q;
  t->vlen = 0;
  if (q < c->len && c->s[q] == '"') {
    for (q++;; q++) {
      char ch;
      if (q >= c->len) return fail(c, t->vpos, "unterminated quote");
      ch = c->s[q];
      if (ch == 0) return fail(c, q, "NUL byte");
      if (ch == '"') break;
      if (ch == '\\' && q + 1 < c->len && (c->s[q + 1] == '"' || c->s[q + 1] == '\\')) ch = c->s[++q];
      if (t->vlen == HUB_QUERY_MAX_VALUE)
        return fail(c, t->vpos, "value longer than %d bytes", HUB_QUERY_MAX_VALUE);
      t->val[t->vlen++] = ch;
    }
    q++;
    if (q < c->len && !is_ws(c->s[q])) return fail(c, q, "expected a space after the closing quote");
  } else {
    for (; q < c->len && !is_ws(c->s[q]); q++) {
      char ch = c->s[q];
      if (ch == 0) return fail(c, q, "NUL byte");
      if (ch == '"') return fail(c, q, "quote inside a word (quote the whole value)");
      if (t->vlen == HUB_QUERY_MAX_VALUE)
        return fail(c, t->vpos, "value longer than %d bytes", HUB_QUERY_MAX_VALUE);
      t->val[t->vlen++] = ch;
    }
  }
  t->val[t->vlen] = 0;
  *p = q;
  return 0;
}

/* Checks a key's value and fills t->sub / t->asc. 0 or -1. */
static int check_value(ctx *c, term *t) {
  size_t i, slash = 0, nslash = 0;
  const char *v = t->val;
  switch (t->key) {
  case K_REPO:
    for (i = 0; i < t->vlen; i++)
      if (v[i] == '/') { slash = i; nslash++; }
    if (nslash > 1 || (nslash == 1 && (slash == 0 || slash + 1 == t->vlen)))
      return fail(c, t->vpos, "repo: expects owner/name or name");
    t->sub = (int)nslash; /* 1: owner/name, 0: name */
    break;
  case K_ORG:
    if (memchr(v, '/', t->vlen)) return fail(c, t->vpos, "org: expects an owner without /");
    break;
  case K_REASON:
    for (i = 0; i < t->vlen; i++) t->val[i] = lower(v[i]);
    break;
  case K_IS:
    t->sub = lookup(v, t->vlen, is_words, HUB__QIS_COUNT);
    if (t->sub < 0)
      return fail(c, t->vpos, "is: expects one of issue, pr, open, closed, merged, unread, read, "
                              "saved, done, snoozed, muted, dismissed");
    break;
  case K_SOURCE:
    t->sub = lookup(v, t->vlen, source_words, HUB__QSRC_COUNT);
    if (t->sub < 0) return fail(c, t->vpos, "source: expects one of github, tangled, gfi");
    break;
  case K_SORT: {
    const char *dash = memchr(v, '-', t->vlen);
    size_t n = dash ? (size_t)(dash - v) : t->vlen;
    t->asc = 0;
    t->sub = lookup(v, n, sort_words, HUB__QSORT_COUNT);
    if (t->sub >= 0 && dash) {
      size_t dn = t->vlen - n - 1;
      if (word_eq(dash + 1, dn, "asc")) t->asc = 1;
      else if (!word_eq(dash + 1, dn, "desc")) t->sub = -1;
    }
    if (t->sub < 0)
      return fail(c, t->vpos, "sort: expects score, updated or created, optionally with -asc or -desc");
    if (t->neg) return fail(c, t->pos, "sort: cannot be negated");
    if (c->sort >= 0) return fail(c, t->kpos, "two sort: terms");
    c->sort = (int)(t - c->t);
    break;
  }
  default:
    break;
  }
  return 0;
}

/* Reads the whole query into c->t. 0 or -1. */
static int parse(ctx *c) {
  size_t p = 0;
  int in_group = 0; /* terms in the current group */
  c->ngroups = 1;
  for (;;) {
    term *t;
    size_t k;
    while (p < c->len && is_ws(c->s[p])) p++;
    if (p >= c->len) break;
    if (p + 2 <= c->len && c->s[p] == 'O' && c->s[p + 1] == 'R' && (p + 2 == c->len || is_ws(c->s[p + 2]))) {
      if (!in_group) return fail(c, p, "OR needs a term on each side");
      c->or_pos[c->ngroups - 1] = p;
      c->ngroups++;
      in_group = 0;
      p += 2;
      continue;
    }
    if (c->n == HUB_QUERY_MAX_TERMS) return fail(c, p, "more than %d terms", HUB_QUERY_MAX_TERMS);
    t = &c->t[c->n];
    memset(t, 0, offsetof(term, val));
    t->pos = p;
    t->group = c->ngroups - 1;
    if (c->s[p] == '-') {
      if (p + 1 >= c->len || is_ws(c->s[p + 1])) return fail(c, p, "expected a term after -");
      t->neg = 1;
      p++;
    }
    t->kpos = p;
    for (k = p; k < c->len && is_alpha(c->s[k]); k++) {}
    if (k > p && k < c->len && c->s[k] == ':') {
      int key = lookup(c->s + p, k - p, key_names, K_COUNT);
      if (key <= K_TEXT) {
        size_t shown = k - p > 40 ? 40 : k - p;
        return fail(c, p, "unknown key \"%.*s%s\"", (int)shown, c->s + p, shown < k - p ? "..." : "");
      }
      t->key = key;
      p = k + 1;
      if (read_value(c, &p, t)) return -1;
      if (t->vlen == 0) return fail(c, t->kpos, "empty value for %s:", key_names[key]);
    } else {
      t->key = K_TEXT;
      if (read_value(c, &p, t)) return -1;
      if (t->vlen == 0) return fail(c, t->kpos, "empty phrase");
    }
    c->n++;
    if (check_value(c, t)) return -1;
    in_group++;
  }
  if (c->ngroups > 1 && !in_group) return fail(c, c->or_pos[c->ngroups - 2], "OR needs a term on each side");
  return 0;
}

/* ---- SQL -------------------------------------------------------------------------------- */

/* Appends a copy of v as the next parameter. 0 or -1 (message written). */
static int push_param(ctx *c, const char *v, size_t n, size_t pos) {
  hub__query *o = c->out;
  char *copy;
  if (o->nparams == HUB_QUERY_MAX_PARAMS) return fail(c, pos, "more than %d parameters", HUB_QUERY_MAX_PARAMS);
  if ((o->nparams & (o->nparams - 1)) == 0) { /* 0, 1, 2, 4 ...: grow to the next power of two */
    char **np = hub__realloc(o->params, (o->nparams ? o->nparams * 2 : 4) * sizeof *np);
    if (!np) return fail(c, 0, "out of memory");
    o->params = np;
  }
  copy = hub__strndup(v, n);
  if (!copy) return fail(c, 0, "out of memory");
  o->params[o->nparams++] = copy;
  return 0;
}

/* Writes the LIKE pattern pre + v (with % _ \ escaped by \) + post into dst (big enough:
 * 2 * n + 3). Returns its length. */
static size_t like_pattern(char *dst, const char *pre, const char *v, size_t n, const char *post) {
  size_t i, d = 0;
  while (*pre) dst[d++] = *pre++;
  for (i = 0; i < n; i++) {
    if (v[i] == '%' || v[i] == '_' || v[i] == '\\') dst[d++] = '\\';
    dst[d++] = v[i];
  }
  while (*post) dst[d++] = *post++;
  dst[d] = 0;
  return d;
}

/* Writes v as a JSON string the way cJSON prints it (quotes included) into dst (big enough:
 * 6 * n + 3). Returns its length. */
static size_t json_string(char *dst, const char *v, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t i, d = 0;
  dst[d++] = '"';
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)v[i];
    const char *esc = ch == '"' ? "\\\"" : ch == '\\' ? "\\\\" : ch == '\b' ? "\\b" : ch == '\f' ? "\\f"
                    : ch == '\n' ? "\\n" : ch == '\r' ? "\\r" : ch == '\t' ? "\\t" : NULL;
    if (esc) {
      dst[d++] = esc[0];
      dst[d++] = esc[1];
    } else if (ch < 32) {
      memcpy(dst + d, "\\u00", 4);
      dst[d + 4] = hex[ch >> 4];
      dst[d + 5] = hex[ch & 15];
      d += 6;
    } else {
      dst[d++] = (char)ch;
    }
  }
  dst[d++] = '"';
  dst[d] = 0;
  return d;
}

/* Appends "(frag)" — "(frag) IS NOT 1" when negated — and one copy of v per `?` outside
 * '...' literals in frag. v NULL: frag must have no `?`. 0 or -1. */
static int emit(ctx *c, const term *t, const char *frag, const char *v, size_t n) {
  const char *f;
  int in_lit = 0;
  if (!frag) {
    if (t->key == K_IS) return fail(c, t->vpos, "is:%s is not supported here", is_words[t->sub]);
    if (t->key == K_SOURCE) return fail(c, t->vpos, "source:%s is not supported here", source_words[t->sub]);
    return fail(c, t->kpos, "%s is not supported here", t->key == K_TEXT ? "free text" : key_names[t->key]);
  }
  for (f = frag; *f; f++) {
    if (*f == '\'') in_lit = !in_lit;
    else if (*f == '?' && !in_lit) {
      if (!v) return fail(c, t->kpos, "schema: a fragment without a value has a ?");
      if (push_param(c, v, n, t->kpos)) return -1;
    }
  }
  hub__buf_str(&c->w, "(");
  hub__buf_str(&c->w, frag);
  hub__buf_str(&c->w, t->neg ? ") IS NOT 1" : ")");
  return 0;
}

/* Free text (a word or a quoted phrase): the one place that decides how text is searched,
 * so FTS5 can replace LIKE here alone. 0 or -1. */
static int emit_text(ctx *c, const term *t) {
  char pat[2 * HUB_QUERY_MAX_VALUE + 3];
  size_t n = like_pattern(pat, "%", t->val, t->vlen, "%");
  c->out->flags |= HUB__QF_TEXT;
  return emit(c, t, c->sc->text, pat, n);
}

/* Appends one term's SQL. 0 or -1. */
static int emit_term(ctx *c, const term *t) {
  const hub__query_schema *sc = c->sc;
  char buf[6 * HUB_QUERY_MAX_VALUE + 3];
  size_t n;
  switch (t->key) {
  case K_TEXT: return emit_text(c, t);
  case K_REPO:
    if (t->sub) return emit(c, t, sc->repo, t->val, t->vlen);
    n = like_pattern(buf, "%/", t->val, t->vlen, "");
    return emit(c, t, sc->repo_name, buf, n);
  case K_ORG:
    n = like_pattern(buf, "", t->val, t->vlen, "/%");
    return emit(c, t, sc->org, buf, n);
  case K_AUTHOR: return emit(c, t, sc->author, t->val, t->vlen);
  case K_LABEL:
    n = json_string(buf, t->val, t->vlen);
    return emit(c, t, sc->label, buf, n);
  case K_REASON: return emit(c, t, sc->reason, t->val, t->vlen);
  case K_IS:
    if (t->neg) c->out->is_neg |= 1u << t->sub;
    else c->out->is_pos |= 1u << t->sub;
    return emit(c, t, sc->is[t->sub], NULL, 0);
  case K_SOURCE: return emit(c, t, sc->source[t->sub], NULL, 0);
  default: return 0;
  }
}

/* Writes WHERE: groups joined by OR (each in parentheses when it has several terms), then
 * the hide filter ANDed. 0 or -1. */
static int build_where(ctx *c) {
  int g, i, filters = 0;
  hub__query *o = c->out;
  const char *user;
  for (g = 0; g < c->ngroups; g++) {
    int in_g = 0;
    for (i = 0; i < c->n; i++)
      if (c->t[i].group == g && c->t[i].key != K_SORT) in_g++;
    if (!in_g && c->ngroups > 1)
      return fail(c, c->or_pos[g ? g - 1 : 0], "OR needs a filter on each side, not only sort:");
    if (g) hub__buf_str(&c->w, " OR ");
    if (c->ngroups > 1 && in_g > 1) hub__buf_str(&c->w, "(");
    in_g = 0;
    for (i = 0; i < c->n; i++) {
      if (c->t[i].group != g || c->t[i].key == K_SORT) continue;
      if (in_g++) hub__buf_str(&c->w, " AND ");
      if (emit_term(c, &c->t[i])) return -1;
      filters++;
    }
    if (c->ngroups > 1 && in_g > 1) hub__buf_str(&c->w, ")");
  }
  if (c->w.failed) return fail(c, 0, "out of memory or the SQL is over %d bytes", HUB_QUERY_MAX_SQL);
  if (c->ngroups > 1) o->flags |= HUB__QF_OR;
  user = filters ? c->w.p : "";
  if (c->sc->hide && !(o->is_pos & HUB__QIS_HIDDEN_STATES)) {
    o->where = !filters ? hub__printf("(%s)", c->sc->hide)
             : c->ngroups > 1 ? hub__printf("(%s) AND (%s)", user, c->sc->hide)
             : hub__printf("%s AND (%s)", user, c->sc->hide);
    o->flags |= HUB__QF_HIDE;
  } else {
    o->where = hub__strdup(filters ? user : "1");
  }
  if (!o->where) return fail(c, 0, "out of memory");
  if (strstr(o->where, ":now")) o->flags |= HUB__QF_NOW;
  return 0;
}

/* Writes ORDER BY. 0 or -1. */
static int build_order(ctx *c) {
  const term *t = c->sort >= 0 ? &c->t[c->sort] : NULL;
  int which = t ? t->sub : c->sc->sort_default;
  const char *expr = which >= 0 && which < HUB__QSORT_COUNT ? c->sc->sort[which] : NULL;
  if (!expr) return fail(c, t ? t->vpos : 0, "sort:%s is not supported here", which >= 0 && which < HUB__QSORT_COUNT ? sort_words[which] : "?");
  c->out->order_by = c->sc->tiebreak
                         ? hub__printf("%s %s, %s", expr, t && t->asc ? "ASC" : "DESC", c->sc->tiebreak)
                         : hub__printf("%s %s", expr, t && t->asc ? "ASC" : "DESC");
  if (!c->out->order_by) return fail(c, 0, "out of memory");
  if (t) c->out->flags |= HUB__QF_SORT;
  return 0;
}

int hub__query_compile(const char *text, size_t len, const hub__query_schema *schema,
                       hub__query *out, char *err, size_t errlen) {
  ctx *c = NULL;
  int rc = -1;
  memset(out, 0, sizeof *out);
  if (err && errlen) err[0] = 0;
  c = hub__malloc(sizeof *c);
  if (!c) {
    if (err && errlen) snprintf(err, errlen, "out of memory at 0");
    goto done;
  }
  memset(c, 0, sizeof *c);
  c->s = text ? text : "";
  c->len = text ? len : 0;
  c->sc = schema ? schema : &hub__query_default_schema;
  c->err = err;
  c->errlen = errlen;
  c->sort = -1;
  c->out = out;
  hub__buf_init(&c->w, HUB_QUERY_MAX_SQL);
  if (c->len > HUB_QUERY_MAX_LEN) {
    fail(c, HUB_QUERY_MAX_LEN, "query longer than %d bytes", HUB_QUERY_MAX_LEN);
    goto done;
  }
  if (parse(c) || build_where(c) || build_order(c)) goto done;
  rc = 0;
done:
  if (c) hub__buf_free(&c->w);
  hub_free(c);
  if (rc) hub__query_free(out);
  return rc;
}

void hub__query_free(hub__query *q) {
  size_t i;
  if (!q) return;
  for (i = 0; i < q->nparams; i++) hub_free(q->params[i]);
  hub_free(q->params);
  hub_free(q->where);
  hub_free(q->order_by);
  memset(q, 0, sizeof *q);
}
