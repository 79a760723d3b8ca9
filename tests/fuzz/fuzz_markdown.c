/*
 * fuzz_markdown.c — fuzz target "markdown" (test layer): the markdown → JSON tree path of
 * card bodies (src/markdown.c, included through fuzz_core.h; md4c underneath). The body is
 * handed over NUL-terminated as the card command does (its text comes from SQLite), NULs
 * inside included. Checked: a tree comes back, it prints as JSON that cJSON (with the
 * build's nesting limit) reads back, and it holds only
 * whitelisted nodes with http(s) targets (fz_check_ast).
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "fuzz_core.h"
#include FZ_MARKDOWN_C

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *md = malloc(size + 1), *txt;
  cJSON *tree, *back;
  if (!md) abort();
  if (size) memcpy(md, data, size);
  md[size] = 0;
  tree = hub__markdown_ast(md, size);
  if (!tree) fz_fail("hub__markdown_ast returned NULL without an allocation failure");
  fz_check_ast(tree);
  txt = cJSON_PrintUnformatted(tree);
  if (!txt) fz_fail("the markdown tree does not print");
  back = cJSON_Parse(txt);
  if (!back && fz_json_depth(txt) > CJSON_NESTING_LIMIT) {
    /* a card reply holding this tree would be deeper still (see fz_call) */
    if (!fz_open_ok("deep-json"))
      fz_fail("the markdown tree nests %d deep, over CJSON_NESTING_LIMIT %d", fz_json_depth(txt), CJSON_NESTING_LIMIT);
    back = cJSON_CreateArray();
  }
  if (!cJSON_IsArray(back)) fz_fail("the markdown tree does not print as a JSON array");
  cJSON_Delete(back);
  cJSON_free(txt);
  cJSON_Delete(tree);
  free(md);
  return 0;
}
