/*
 * query.h — the inbox search language (api layer): compiles a user's query such as
 *   repo:owner/name label:"good first issue" -is:done sort:updated
 * into SQL text — a WHERE expression and an ORDER BY list — plus the parameter values the
 * caller binds. A pure module: no SQLite calls, no clock, no I/O; user text never enters the
 * SQL, only `?` placeholders do.
 *
 * Grammar (whitespace = ASCII space, \t, \n, \v, \f, \r; keys and enum values are
 * case-insensitive; OR is upper-case only; AND binds tighter than OR; no parentheses):
 *   query  = [ ws ] [ group { ws "OR" ws group } ] [ ws ]
 *   group  = term { ws term }
 *   term   = [ "-" ] ( key ":" value | value )
 *   key    = 1*ALPHA      (a word whose letters run up to a ':' is a key: unknown ones are errors)
 *   value  = quoted | bare
 *   quoted = '"' { '\"' | '\\' | any byte but '"' } '"'   (another '\x' stays as typed)
 *   bare   = 1*( any byte but ws and '"' )
 * A bare value or word runs to the next whitespace; a quote inside it or right after a
 * closing quote is an error. NUL bytes are errors. Limits below.
 *
 * Ownership: hub__query_compile fills a caller-owned hub__query whose strings it allocates
 * (hub__malloc); hub__query_free releases them. The schema is borrowed for the call only.
 *
 * Binding: the WHERE text may contain the named parameter :now (snoozed state, the default
 * hide filter; flag HUB__QF_NOW) among the anonymous `?`. SQLite numbers a named parameter
 * where it first appears, so bind by walking the statement's parameters: for k = 1..count,
 * sqlite3_bind_parameter_name(st, k) is NULL for the next value of params[] in order, and
 * ":now" for the caller's clock (ms).
 */
#ifndef HUB_QUERY_H
#define HUB_QUERY_H

#include <stddef.h>

#ifndef HUB_QUERY_MAX_LEN
#define HUB_QUERY_MAX_LEN 1024     /* bytes of query text */
#endif
#ifndef HUB_QUERY_MAX_TERMS
#define HUB_QUERY_MAX_TERMS 32     /* terms, sort: included, OR not */
#endif
#ifndef HUB_QUERY_MAX_VALUE
#define HUB_QUERY_MAX_VALUE 200    /* bytes of one value, after unquoting */
#endif
#ifndef HUB_QUERY_MAX_PARAMS
#define HUB_QUERY_MAX_PARAMS 256   /* bound values per query */
#endif
#ifndef HUB_QUERY_MAX_SQL
#define HUB_QUERY_MAX_SQL 65536    /* bytes of generated WHERE or ORDER BY text */
#endif

/* is: values, in the order the error message lists them. */
#define HUB_QUERY_IS_MAP(X)                                                               \
  X(ISSUE, "issue") X(PR, "pr") X(OPEN, "open") X(CLOSED, "closed") X(MERGED, "merged")  \
  X(UNREAD, "unread") X(READ, "read") X(SAVED, "saved") X(DONE, "done")                  \
  X(SNOOZED, "snoozed") X(MUTED, "muted") X(DISMISSED, "dismissed")
enum {
#define X(name, word) HUB__QIS_##name,
  HUB_QUERY_IS_MAP(X)
#undef X
  HUB__QIS_COUNT
};
/* is: states that, asked for positively, switch the schema's default hide filter off. */
#define HUB__QIS_HIDDEN_STATES                                                            \
  ((1u << HUB__QIS_DONE) | (1u << HUB__QIS_SNOOZED) | (1u << HUB__QIS_MUTED) |            \
   (1u << HUB__QIS_DISMISSED) | (1u << HUB__QIS_SAVED))

enum { HUB__QSRC_GITHUB, HUB__QSRC_TANGLED, HUB__QSRC_GFI, HUB__QSRC_COUNT };
enum { HUB__QSORT_SCORE, HUB__QSORT_UPDATED, HUB__QSORT_CREATED, HUB__QSORT_COUNT };

/* The SQL vocabulary. Every fragment is a boolean SQL expression; each `?` in it (outside
 * '...' literals) binds one copy of the term's value, encoded as the field says. The compiler
 * wraps fragments in parentheses, so they need not be. */
typedef struct {
  const char *repo;      /* repo:owner/name — ? = "owner/name" as typed */
  const char *repo_name; /* repo:name (any owner) — ? = LIKE pattern "%/name" (\-escaped) */
  const char *org;       /* org:owner — ? = LIKE pattern "owner/%" (\-escaped) */
  const char *author;    /* author:login — ? = "login" as typed */
  const char *label;     /* label:name — ? = the name as a JSON string, quotes included,
                            escaped the way cJSON prints it ("a\"b") */
  const char *reason;    /* reason:code — ? = the code in ASCII lower case */
  const char *text;      /* a free-text word or phrase — ? = LIKE pattern "%word%" (\-escaped:
                            % _ \ are preceded by \) */
  const char *is[HUB__QIS_COUNT];         /* no ? */
  const char *source[HUB__QSRC_COUNT];    /* no ? */
  const char *sort[HUB__QSORT_COUNT];     /* an ORDER BY expression; " ASC"/" DESC" is added */
  int sort_default;                       /* HUB__QSORT_x used without sort: (descending) */
  const char *tiebreak;  /* appended to ORDER BY after ", " (e.g. "i.id"), or NULL */
  const char *hide;      /* the default filter ANDed to WHERE unless the query asks for a
                            hidden state (HUB__QIS_HIDDEN_STATES) positively; NULL: none */
} hub__query_schema;

/* For the tables items i, item_reasons r (per EXISTS), LEFT JOIN triage t (see query.c). */
extern const hub__query_schema hub__query_default_schema;

enum {
  HUB__QF_NOW = 1 << 0,  /* WHERE uses :now — bind it */
  HUB__QF_SORT = 1 << 1, /* the query had a sort: term */
  HUB__QF_HIDE = 1 << 2, /* the schema's hide filter was ANDed to WHERE */
  HUB__QF_TEXT = 1 << 3, /* the query has free text */
  HUB__QF_OR = 1 << 4    /* the query has OR */
};

typedef struct {
  char *where;     /* SQL boolean expression; "1" when nothing filters */
  char *order_by;  /* SQL for after ORDER BY, e.g. "i.rank DESC, i.id" */
  char **params;   /* nparams NUL-terminated values, bound in order to the anonymous ? */
  size_t nparams;
  unsigned is_pos; /* bit (1u << HUB__QIS_x) per is: value present un-negated */
  unsigned is_neg; /* ... present negated (-is:x) */
  unsigned flags;  /* HUB__QF_* */
} hub__query;

/* Compiles text[0..len) (need not be NUL-terminated) with schema (NULL: the default). On
 * success returns 0 and fills *out (free with hub__query_free). On failure returns -1, leaves
 * *out empty (safe to free) and writes "message at N" to err (N = 0-based byte offset into
 * text, < len whenever len > 0), truncated to errlen. */
int hub__query_compile(const char *text, size_t len, const hub__query_schema *schema,
                       hub__query *out, char *err, size_t errlen);

/* Releases what hub__query_compile allocated and empties *q. NULL-safe. */
void hub__query_free(hub__query *q);

#endif
