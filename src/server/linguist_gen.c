/*
 * linguist_gen.c — a build tool (native only, not part of the core): GitHub Linguist's
 * languages.yml, pinned by the Makefile, → the compact table the activity heatmap counts
 * languages with (build/gen/linguist_table.h, included by src/sources/activity_lang.c).
 *
 * usage: linguist_gen LANGUAGES.yml POPULAR.yml VERSION > linguist_table.h
 *
 * Kept: languages of type programming or markup (the ones GitHub's language bar counts; data
 * and prose — JSON, YAML, Markdown, Text — never count), each counted under its group when its
 * group is such a language too ("TSX" → TypeScript). Every extension (lower case, without the
 * leading dot, multi-part ones like "cmake.in" too) and file name ("Makefile", lower case)
 * maps to one language: an entry of src/sources/activity_ext.def first (checked here: the
 * language must exist and list the extension, else the build stops), else a popular language,
 * else the language whose primary extension it is, else programming before markup, else the
 * first by name. The output is sorted for binary search and names only languages some key maps
 * to, with their Linguist colours. Reads its input with libyaml's document API: a pinned,
 * checksummed file of the build, not data from outside.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define MAX_LANGS 2000
#define MAX_KEYS 8000
#define MAX_CANDS 16

typedef struct {
  char *name, *color, *group;
  int counted; /* index of the language it counts as, -1: not counted */
  int popular, programming;
  int used; /* index in the output, -1 */
} lang;

typedef struct {
  char *key;
  int is_file;
  int cand[MAX_CANDS];
  int primary[MAX_CANDS];
  int ncand;
  int pick; /* counted language, -1: not counted */
} key;

static lang langs[MAX_LANGS];
static int nlangs;
static key keys[MAX_KEYS];
static int nkeys;

static const struct { const char *ext, *lang; } overrides[] = {
#define X(e, l) {e, l},
#include "sources/activity_ext.def"
#undef X
};

static void die(const char *msg, const char *arg) {
  fprintf(stderr, "linguist_gen: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
  exit(1);
}

static char *lower_dup(const char *s) {
  char *d = strdup(s), *p;
  if (!d) die("out of memory", NULL);
  for (p = d; *p; p++) *p = (char)tolower((unsigned char)*p);
  return d;
}

static yaml_node_t *get(yaml_document_t *doc, yaml_node_t *map, const char *k) {
  yaml_node_pair_t *p;
  if (!map || map->type != YAML_MAPPING_NODE) return NULL;
  for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *kn = yaml_document_get_node(doc, p->key);
    if (kn && kn->type == YAML_SCALAR_NODE && strcmp((char *)kn->data.scalar.value, k) == 0)
      return yaml_document_get_node(doc, p->value);
  }
  return NULL;
}

static const char *scalar(yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int find_lang(const char *name) {
  int i;
  for (i = 0; i < nlangs; i++)
    if (strcasecmp(langs[i].name, name) == 0) return i;
  return -1;
}

static key *key_for(const char *k, int is_file) {
  int i;
  for (i = 0; i < nkeys; i++)
    if (keys[i].is_file == is_file && strcmp(keys[i].key, k) == 0) return &keys[i];
  if (nkeys >= MAX_KEYS) die("too many extensions", NULL);
  keys[nkeys].key = strdup(k);
  if (!keys[nkeys].key) die("out of memory", NULL);
  keys[nkeys].is_file = is_file;
  keys[nkeys].pick = -1;
  return &keys[nkeys++];
}

/* The extensions and file names of language li into the keys. */
static void add_keys(yaml_document_t *doc, yaml_node_t *v, int li) {
  static const char *const lists[] = {"extensions", "filenames"};
  int w;
  for (w = 0; w < 2; w++) {
    yaml_node_t *seq = get(doc, v, lists[w]);
    yaml_node_item_t *it;
    if (!seq || seq->type != YAML_SEQUENCE_NODE) continue;
    for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
      const char *s = scalar(yaml_document_get_node(doc, *it));
      char *k;
      key *e;
      if (!s || !*s || (w == 0 && s[0] != '.')) continue;
      k = lower_dup(w == 0 ? s + 1 : s);
      e = key_for(k, w);
      free(k);
      if (e->ncand >= MAX_CANDS) die("too many languages for one extension", e->key);
      e->cand[e->ncand] = li;
      e->primary[e->ncand++] = w == 0 && it == seq->data.sequence.items.start;
    }
  }
}

static void read_popular(const char *path) {
  FILE *f = fopen(path, "r");
  char line[256];
  if (!f) die("cannot read", path);
  while (fgets(line, sizeof line, f)) {
    char *s = line, *e;
    int li;
    if (strncmp(s, "- ", 2) != 0) continue;
    s += 2;
    e = s + strcspn(s, "\r\n");
    *e = 0;
    li = find_lang(s);
    if (li < 0) die("popular.yml names an unknown language", s);
    langs[li].popular = 1;
  }
  fclose(f);
}

static void read_languages(const char *path) {
  FILE *f = fopen(path, "rb");
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_node_t *root;
  yaml_node_pair_t *p;
  int i;
  if (!f) die("cannot read", path);
  if (!yaml_parser_initialize(&parser)) die("out of memory", NULL);
  yaml_parser_set_input_file(&parser, f);
  if (!yaml_parser_load(&parser, &doc)) die("not YAML", path);
  root = yaml_document_get_root_node(&doc);
  if (!root || root->type != YAML_MAPPING_NODE) die("not a mapping of languages", path);
  for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
    yaml_node_t *v = yaml_document_get_node(&doc, p->value);
    const char *name = scalar(yaml_document_get_node(&doc, p->key)), *type = scalar(get(&doc, v, "type"));
    const char *color = scalar(get(&doc, v, "color")), *group = scalar(get(&doc, v, "group"));
    if (!name) die("a language without a name", path);
    if (nlangs >= MAX_LANGS) die("too many languages", path);
    langs[nlangs].name = strdup(name);
    langs[nlangs].color = strdup(color ? color : "");
    langs[nlangs].group = group ? strdup(group) : NULL;
    langs[nlangs].programming = type && strcmp(type, "programming") == 0;
    langs[nlangs].counted = type && (strcmp(type, "programming") == 0 || strcmp(type, "markup") == 0) ? nlangs : -1;
    langs[nlangs].used = -1;
    nlangs++;
  }
  for (i = 0, p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++, i++)
    if (langs[i].counted >= 0) add_keys(&doc, yaml_document_get_node(&doc, p->value), i);
  for (i = 0; i < nlangs; i++) { /* groups: counted as the parent when the parent counts */
    int g = langs[i].group ? find_lang(langs[i].group) : -1;
    if (langs[i].counted >= 0 && g >= 0 && langs[g].counted >= 0) langs[i].counted = g;
  }
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  fclose(f);
}

/* 1 when candidate a of k is preferred to candidate b. */
static int better(const key *k, int a, int b) {
  const lang *la = &langs[k->cand[a]], *lb = &langs[k->cand[b]];
  if (la->popular != lb->popular) return la->popular;
  if (k->primary[a] != k->primary[b]) return k->primary[a];
  if (la->programming != lb->programming) return la->programming;
  return strcmp(la->name, lb->name) < 0;
}

static void resolve(void) {
  size_t o;
  int i, j;
  for (i = 0; i < nkeys; i++) {
    int best = 0;
    for (j = 1; j < keys[i].ncand; j++)
      if (better(&keys[i], j, best)) best = j;
    keys[i].pick = langs[keys[i].cand[best]].counted;
  }
  for (o = 0; o < sizeof overrides / sizeof overrides[0]; o++) {
    key *k = NULL;
    int li = *overrides[o].lang ? find_lang(overrides[o].lang) : -2, listed = 0;
    for (i = 0; i < nkeys; i++)
      if (!keys[i].is_file && strcmp(keys[i].key, overrides[o].ext) == 0) k = &keys[i];
    if (!k) die("activity_ext.def: no counted language has the extension", overrides[o].ext);
    if (li == -1) die("activity_ext.def: not a Linguist language", overrides[o].lang);
    for (j = 0; li >= 0 && j < k->ncand; j++) listed |= k->cand[j] == li;
    if (li >= 0 && !listed) die("activity_ext.def: the language does not list the extension", overrides[o].ext);
    k->pick = li >= 0 ? langs[li].counted : -1;
  }
}

static int cmp_lang(const void *a, const void *b) {
  return strcmp(langs[*(const int *)a].name, langs[*(const int *)b].name);
}
static int cmp_key(const void *a, const void *b) {
  const key *x = a, *y = b;
  if (x->is_file != y->is_file) return x->is_file - y->is_file;
  return strcmp(x->key, y->key);
}

static void put_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\' || *s == '?') putchar('\\');
    if ((unsigned char)*s < 0x20) printf("\\%03o", (unsigned char)*s);
    else putchar(*s);
  }
  putchar('"');
}

static int hexval(int c) { return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10; }

/* One blob of NUL-terminated strings as a C string literal, split over lines; the offsets
 * of its strings go to off (which must stay below 65536). */
static void emit_blob(const char *name, const char *const *strs, int n, unsigned *off) {
  unsigned at = 0;
  int i;
  printf("static const char %s[] =\n", name);
  for (i = 0; i < n; i++) {
    off[i] = at;
    at += (unsigned)strlen(strs[i]) + 1;
    if (at >= 65536) die("a string table is over 64 KiB", name);
    put_str(strs[i]);
    printf(" \"\\0\"\n");
  }
  printf(";\n");
}

static void emit(const char *version) {
  static const char *strs[MAX_KEYS];
  static unsigned off[MAX_KEYS];
  int order[MAX_LANGS], n = 0, i, nexts = 0, nfiles = 0, k;
  for (i = 0; i < nkeys; i++)
    if (keys[i].pick >= 0 && langs[keys[i].pick].used < 0) {
      langs[keys[i].pick].used = 0;
      order[n++] = keys[i].pick;
    }
  qsort(order, (size_t)n, sizeof order[0], cmp_lang);
  for (i = 0; i < n; i++) langs[order[i]].used = i;
  qsort(keys, (size_t)nkeys, sizeof keys[0], cmp_key);
  printf("/* Generated by src/server/linguist_gen.c from GitHub Linguist %s languages.yml. Do not edit. */\n",
         version);
  printf("#define LING_VERSION \"%s\"\n#define LING_NLANGS %d\n", version, n);
  for (i = 0; i < n; i++) strs[i] = langs[order[i]].name;
  emit_blob("ling_name_blob", strs, n, off);
  printf("static const unsigned short ling_name_off[LING_NLANGS] = {");
  for (i = 0; i < n; i++) printf("%s%u", i ? "," : "", off[i]);
  printf("};\n/* Linguist's colour of each language as r, g, b and 1 (0, 0, 0, 0: none) */\n");
  printf("static const unsigned char ling_rgb[LING_NLANGS][4] = {");
  for (i = 0; i < n; i++) {
    const char *c = langs[order[i]].color;
    int ok = strlen(c) == 7 && c[0] == '#' && strspn(c + 1, "0123456789abcdefABCDEF") == 6;
    printf("%s{%d,%d,%d,%d}", i ? "," : "", ok ? hexval(c[1]) * 16 + hexval(c[2]) : 0,
           ok ? hexval(c[3]) * 16 + hexval(c[4]) : 0, ok ? hexval(c[5]) * 16 + hexval(c[6]) : 0, ok);
  }
  printf("};\n");
  /* the keys: extensions (lower case, no dot), then file names (lower case), each sorted */
  for (i = 0, k = 0; i < nkeys; i++)
    if (keys[i].pick >= 0) {
      strs[k++] = keys[i].key;
      if (keys[i].is_file) nfiles++;
      else nexts++;
    }
  emit_blob("ling_key_blob", strs, k, off);
  printf("#define LING_NEXTS %d\n#define LING_NFILES %d\n", nexts, nfiles);
  printf("static const ling_key ling_keys[LING_NEXTS + LING_NFILES] = {");
  for (i = 0, k = 0; i < nkeys; i++)
    if (keys[i].pick >= 0) {
      printf("%s{%u,%d}", k ? "," : "", off[k], langs[keys[i].pick].used);
      k++;
    }
  printf("};\n");
  fprintf(stderr, "linguist_gen: Linguist %s: %d languages counted, %d extensions, %d file names\n", version, n,
          nexts, nfiles);
}

int main(int argc, char **argv) {
  if (argc != 4) die("usage: linguist_gen LANGUAGES.yml POPULAR.yml VERSION", NULL);
  read_languages(argv[1]);
  read_popular(argv[2]);
  resolve();
  emit(argv[3]);
  return 0;
}
