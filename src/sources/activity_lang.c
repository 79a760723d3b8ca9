/*
 * activity_lang.c — a changed file's path → the language it counts as in the activity heatmap,
 * or why it does not count (sources layer, pure: no database, no I/O).
 *
 * First the exclusion rules of activity_paths.def (documentation, vendored code, generated
 * files and lockfiles; ASCII case ignored), then the file name ("Makefile", "CMakeLists.txt"),
 * then the extension, longest first ("x.cmake.in" tries "cmake.in", then "in"), in the table
 * generated at build time from GitHub Linguist's pinned languages.yml (build/gen/
 * linguist_table.h, by src/server/linguist_gen.c: programming and markup languages only,
 * groups folded into their parent, ambiguous extensions settled by activity_ext.def). A path
 * whose name has no entry there counts as no language.
 */
#include <stdlib.h>
#include <string.h>
#include "sources/activity.h"

typedef struct {
  unsigned short key;  /* offset of its text in ling_key_blob */
  unsigned short lang; /* index of its language */
} ling_key;

#include "linguist_table.h"

typedef enum { R_TOP, R_DIR, R_STEM, R_NAME, R_SUFFIX, R_PREFIX } rule_how;

static const struct {
  hub__act_class what;
  rule_how how;
  const char *pat; /* lower case */
} rules[] = {
#define DOC HUB_ACT_DOC
#define VENDORED HUB_ACT_VENDORED
#define GENERATED HUB_ACT_GENERATED
#define TOP R_TOP
#define DIR R_DIR
#define STEM R_STEM
#define NAME R_NAME
#define SUFFIX R_SUFFIX
#define PREFIX R_PREFIX
#define X(what, how, pat) {what, how, pat},
#include "sources/activity_paths.def"
#undef X
#undef DOC
#undef VENDORED
#undef GENERATED
#undef TOP
#undef DIR
#undef STEM
#undef NAME
#undef SUFFIX
#undef PREFIX
};

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* 1 when the m bytes at s (lower case) equal pat (any case). */
static int same(const char *s, const char *pat, size_t m) {
  size_t i;
  for (i = 0; i < m; i++)
    if (!s[i] || s[i] != lower((unsigned char)pat[i])) return 0;
  return 1;
}

static int ends_with(const char *s, size_t n, const char *suf) {
  size_t m = strlen(suf);
  return m <= n && same(s + n - m, suf, m);
}

/* 1 when rule i matches the lower-case path p (n bytes) whose file name starts at base. */
static int rule_matches(size_t i, const char *p, size_t n, const char *base) {
  const char *pat = rules[i].pat, *q;
  size_t m = strlen(pat);
  switch (rules[i].how) {
  case R_TOP:
    return same(p, pat, m);
  case R_DIR:
    if (same(p, pat, m)) return 1;
    for (q = strchr(p, '/'); q; q = strchr(q + 1, '/'))
      if (same(q + 1, pat, m)) return 1;
    return 0;
  case R_STEM:
    return same(base, pat, m) && (base[m] == 0 || base[m] == '.');
  case R_NAME:
    return same(base, pat, m) && base[m] == 0;
  case R_SUFFIX:
    return ends_with(p, n, pat);
  case R_PREFIX:
    return same(base, pat, m) && ends_with(p, n, ".js");
  }
  return 0;
}

static int cmp_key(const void *k, const void *e) { return strcmp(k, ling_key_blob + ((const ling_key *)e)->key); }

static int find_key(const ling_key *t, size_t n, const char *k) {
  const ling_key *e = bsearch(k, t, n, sizeof t[0], cmp_key);
  return e ? e->lang : -1;
}

hub__act_class hub__act_classify(const char *path, int *lang) {
  char p[HUB_ACT_PATH_MAX + 1];
  const char *base, *dot;
  size_t n = path ? strlen(path) : 0, i;
  *lang = -1;
  if (n == 0 || n > HUB_ACT_PATH_MAX) return HUB_ACT_OTHER;
  for (i = 0; i <= n; i++) p[i] = (char)lower((unsigned char)path[i]);
  base = strrchr(p, '/');
  base = base ? base + 1 : p;
  for (i = 0; i < sizeof rules / sizeof rules[0]; i++)
    if (rule_matches(i, p, n, base)) return rules[i].what;
  *lang = find_key(ling_keys + LING_NEXTS, LING_NFILES, base);
  for (dot = *base ? strchr(base + 1, '.') : NULL; *lang < 0 && dot; dot = strchr(dot + 1, '.'))
    *lang = find_key(ling_keys, LING_NEXTS, dot + 1);
  return *lang >= 0 ? HUB_ACT_CODE : HUB_ACT_OTHER;
}

const char *hub__act_lang_name(int i) { return i >= 0 && i < LING_NLANGS ? ling_name_blob + ling_name_off[i] : NULL; }

void hub__act_lang_color(int i, char out[8]) {
  static const char hex[] = "0123456789abcdef";
  int k;
  out[0] = 0;
  if (i < 0 || i >= LING_NLANGS || !ling_rgb[i][3]) return;
  out[0] = '#';
  for (k = 0; k < 3; k++) {
    out[1 + 2 * k] = hex[ling_rgb[i][k] >> 4];
    out[2 + 2 * k] = hex[ling_rgb[i][k] & 15];
  }
  out[7] = 0;
}

int hub__act_lang_count(void) { return LING_NLANGS; }

int hub__act_lang_find(const char *name) {
  int lo = 0, hi = LING_NLANGS - 1;
  while (name && lo <= hi) { /* the names are sorted (strcmp) */
    int mid = (lo + hi) / 2, c = strcmp(name, ling_name_blob + ling_name_off[mid]);
    if (c == 0) return mid;
    if (c < 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return -1;
}

const char *hub__act_linguist_version(void) { return LING_VERSION; }
