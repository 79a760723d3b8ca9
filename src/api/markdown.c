/*
 * markdown.c — markdown bodies (from GitHub or a PDS: hostile) to a small JSON tree the
 * page renders with createElement/textContent. md4c parses with raw HTML disabled; this
 * module keeps only a whitelist of node types and only http(s) link targets, so nothing in
 * the tree can carry markup or script. Nodes: a string is text; an object is
 * {"t":tag,"c":[children]} plus "href" (a), "src"/"alt" (img).
 */
#include <stdio.h>
#include <string.h>
#include "api/api.h"
#include "md4c.h"

/* Each open node is two JSON levels (its object and its children array), and the card reply
 * puts the tree 3 levels down: 24 nodes keep the reply within CJSON_NESTING_LIMIT (64), so the
 * core's own cJSON can read it back (hub card; tests/fuzz/findings/call/deep-card-body). Deeper
 * content is flattened into the deepest node. */
#ifndef MD_MAX_DEPTH
#define MD_MAX_DEPTH 24
#endif
#define MD_MAX_NODES 20000

typedef struct {
  cJSON *stack[MD_MAX_DEPTH + 1];
  int depth;    /* stack[depth] is the open node's children array */
  int skipped;  /* nesting beyond MD_MAX_DEPTH: content is flattened into the deepest node */
  long nodes;
  int failed;
  hub__buf text; /* the text run not yet added as a node: appended in linear time */
} ast;

/* Adds the pending text run as one string node of the open node. */
static void flush(ast *a) {
  cJSON *s;
  if (a->failed || a->text.len == 0) return;
  if (++a->nodes > MD_MAX_NODES) {
    a->failed = 1;
    return;
  }
  s = cJSON_CreateString(a->text.p);
  if (!s || !cJSON_AddItemToArray(a->stack[a->depth], s)) {
    cJSON_Delete(s);
    a->failed = 1;
  }
  a->text.len = 0;
  a->text.p[0] = 0;
}

static void add_text(ast *a, const char *s, size_t n) {
  if (a->failed || n == 0) return;
  hub__buf_add(&a->text, s, n);
  if (a->text.failed) a->failed = 1;
}

/* Decodes the few entities worth decoding; anything else stays literal. */
static void add_entity(ast *a, const char *s, size_t n) {
  static const struct { const char *e, *t; } named[] = {
      {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"},
      {"&nbsp;", "\xc2\xa0"}, {"&copy;", "\xc2\xa9"}, {"&mdash;", "\xe2\x80\x94"},
      {"&ndash;", "\xe2\x80\x93"}, {"&hellip;", "\xe2\x80\xa6"}};
  size_t i;
  for (i = 0; i < sizeof named / sizeof named[0]; i++)
    if (strlen(named[i].e) == n && memcmp(named[i].e, s, n) == 0) {
      add_text(a, named[i].t, strlen(named[i].t));
      return;
    }
  if (n > 3 && s[1] == '#') {
    unsigned long cp = 0;
    size_t k = 2;
    int hex = s[2] == 'x' || s[2] == 'X';
    char out[4];
    size_t len;
    if (hex) k++;
    for (; k < n - 1; k++) {
      char c = s[k];
      int d = c >= '0' && c <= '9' ? c - '0' : (hex && c >= 'a' && c <= 'f' ? c - 'a' + 10 : (hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1));
      if (d < 0 || cp > 0x10FFFF) { add_text(a, s, n); return; }
      cp = cp * (hex ? 16u : 10u) + (unsigned)d;
    }
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp < 0x80) { out[0] = (char)cp; len = 1; }
    else if (cp < 0x800) { out[0] = (char)(0xC0 | cp >> 6); out[1] = (char)(0x80 | (cp & 0x3F)); len = 2; }
    else if (cp < 0x10000) { out[0] = (char)(0xE0 | cp >> 12); out[1] = (char)(0x80 | (cp >> 6 & 0x3F)); out[2] = (char)(0x80 | (cp & 0x3F)); len = 3; }
    else { out[0] = (char)(0xF0 | cp >> 18); out[1] = (char)(0x80 | (cp >> 12 & 0x3F)); out[2] = (char)(0x80 | (cp >> 6 & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F)); len = 4; }
    add_text(a, out, len);
    return;
  }
  add_text(a, s, n);
}

/* The attribute's text with entities left as written (URLs rarely carry them). */
static char *attr_text(const MD_ATTRIBUTE *at) {
  return at && at->text ? hub__strndup(at->text, at->size) : hub__strdup("");
}

static int safe_url(const char *u) {
  return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0;
}

static void open_node(ast *a, const char *tag, cJSON **out_node) {
  cJSON *node, *kids;
  if (out_node) *out_node = NULL;
  flush(a);
  if (a->failed) return;
  if (a->depth >= MD_MAX_DEPTH) { a->skipped++; return; }
  if (++a->nodes > MD_MAX_NODES) { a->failed = 1; return; }
  node = cJSON_CreateObject();
  if (!node || !cJSON_AddStringToObject(node, "t", tag) || !(kids = cJSON_AddArrayToObject(node, "c")) ||
      !cJSON_AddItemToArray(a->stack[a->depth], node)) {
    cJSON_Delete(node);
    a->failed = 1;
    return;
  }
  a->stack[++a->depth] = kids;
  if (out_node) *out_node = node;
}

static void close_node(ast *a) {
  flush(a);
  if (a->failed) return;
  if (a->skipped) { a->skipped--; return; }
  if (a->depth > 0) a->depth--;
}

static const char *block_tag(MD_BLOCKTYPE t, void *detail) {
  static const char *const h[] = {"h1", "h2", "h3", "h4", "h5", "h6"};
  switch (t) {
  case MD_BLOCK_QUOTE: return "blockquote";
  case MD_BLOCK_UL: return "ul";
  case MD_BLOCK_OL: return "ol";
  case MD_BLOCK_LI: return "li";
  case MD_BLOCK_HR: return "hr";
  case MD_BLOCK_H: {
    unsigned lv = ((MD_BLOCK_H_DETAIL *)detail)->level;
    return h[lv >= 1 && lv <= 6 ? lv - 1 : 5];
  }
  case MD_BLOCK_CODE: return "pre";
  case MD_BLOCK_P: return "p";
  case MD_BLOCK_TABLE: return "table";
  case MD_BLOCK_THEAD: return "thead";
  case MD_BLOCK_TBODY: return "tbody";
  case MD_BLOCK_TR: return "tr";
  case MD_BLOCK_TH: return "th";
  case MD_BLOCK_TD: return "td";
  default: return NULL; /* DOC; HTML blocks are disabled */
  }
}

static int enter_block(MD_BLOCKTYPE t, void *detail, void *ud) {
  const char *tag = block_tag(t, detail);
  if (tag) open_node(ud, tag, NULL);
  return 0;
}

static int leave_block(MD_BLOCKTYPE t, void *detail, void *ud) {
  if (block_tag(t, detail)) close_node(ud);
  return 0;
}

static int enter_span(MD_SPANTYPE t, void *detail, void *ud) {
  ast *a = ud;
  cJSON *node = NULL;
  switch (t) {
  case MD_SPAN_EM: open_node(a, "em", NULL); break;
  case MD_SPAN_STRONG: open_node(a, "strong", NULL); break;
  case MD_SPAN_CODE: open_node(a, "code", NULL); break;
  case MD_SPAN_DEL: open_node(a, "del", NULL); break;
  case MD_SPAN_A: {
    char *href = attr_text(&((MD_SPAN_A_DETAIL *)detail)->href);
    open_node(a, "a", &node);
    if (node && href && safe_url(href)) cJSON_AddStringToObject(node, "href", href);
    hub_free(href);
    break;
  }
  case MD_SPAN_IMG: {
    char *src = attr_text(&((MD_SPAN_IMG_DETAIL *)detail)->src);
    open_node(a, "img", &node);
    if (node && src && safe_url(src)) cJSON_AddStringToObject(node, "src", src);
    hub_free(src);
    break;
  }
  default: open_node(a, "span", NULL); break; /* math, wiki links, underline: plain */
  }
  return 0;
}

static int leave_span(MD_SPANTYPE t, void *detail, void *ud) {
  (void)t;
  (void)detail;
  close_node(ud);
  return 0;
}

static int on_text(MD_TEXTTYPE t, const MD_CHAR *s, MD_SIZE n, void *ud) {
  ast *a = ud;
  switch (t) {
  case MD_TEXT_NULLCHAR: add_text(a, "\xef\xbf\xbd", 3); break;
  case MD_TEXT_BR: {
    cJSON *br;
    open_node(a, "br", &br);
    close_node(a);
    break;
  }
  case MD_TEXT_SOFTBR: add_text(a, " ", 1); break;
  case MD_TEXT_ENTITY: add_entity(a, s, n); break;
  default: add_text(a, s, n); break; /* normal, code, and (never, HTML is off) html as text */
  }
  return 0;
}

/* The body as one paragraph of plain text (when the tree could not be built). */
static cJSON *plain(const char *txt) {
  cJSON *root = cJSON_CreateArray(), *p1 = cJSON_CreateObject(), *kids;
  if (!root || !p1 || !cJSON_AddStringToObject(p1, "t", "p") || !(kids = cJSON_AddArrayToObject(p1, "c"))) {
    cJSON_Delete(root);
    cJSON_Delete(p1);
    return NULL;
  }
  hub__push(kids, cJSON_CreateString(txt));
  hub__push(root, p1);
  return root;
}

cJSON *hub__markdown_ast(const char *md, size_t len) {
  MD_PARSER p;
  ast a;
  cJSON *root;
  char *copy;
  int rc;
  if (len > HUB_MAX_FIELD) len = HUB_MAX_FIELD;
  copy = hub__strndup(md, len); /* md4c may read one byte past the end: give it a terminated copy */
  root = cJSON_CreateArray();
  if (!copy || !root) {
    hub_free(copy);
    cJSON_Delete(root);
    return NULL;
  }
  memset(&p, 0, sizeof p);
  memset(&a, 0, sizeof a);
  p.abi_version = 0;
  p.flags = MD_FLAG_NOHTML | MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_PERMISSIVEURLAUTOLINKS |
            MD_FLAG_PERMISSIVEWWWAUTOLINKS;
  p.enter_block = enter_block;
  p.leave_block = leave_block;
  p.enter_span = enter_span;
  p.leave_span = leave_span;
  p.text = on_text;
  a.stack[0] = root;
  hub__buf_init(&a.text, HUB_MAX_FIELD);
  rc = md_parse(copy, (MD_SIZE)len, &p, &a);
  if (rc == 0) flush(&a);
  hub__buf_free(&a.text);
  if (rc != 0 || a.failed) { /* too deep, too many nodes or out of memory */
    cJSON_Delete(root);
    root = plain(copy);
  }
  hub_free(copy);
  return root;
}
