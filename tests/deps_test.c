/*
 * deps_test.c — regression tests of the pinned third-party sources (test layer, native
 * ASan + UBSan only): the parsers hub feeds with buffers that need not be NUL-terminated
 * (cJSON through hub_call_n, md4c through the markdown of issue bodies) must not read one
 * byte past the end, and the security patches `make deps` applies must be in effect.
 *
 * Each input is copied so that it ends exactly where a PROT_NONE guard page begins, and is
 * parsed in a child process: a read past the end is a SIGSEGV (reported by ASan) in the
 * child, which the parent counts as one failed check and goes on.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"
#include "md4c.h"

/* Longest input of one case (one page suffices for every case below). */
#ifndef DEPS_MAX_INPUT
#define DEPS_MAX_INPUT 4096
#endif

/* The same md4c flags as src/markdown.c. */
#define DEPS_MD_FLAGS (MD_FLAG_NOHTML | MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | \
                       MD_FLAG_PERMISSIVEURLAUTOLINKS | MD_FLAG_PERMISSIVEWWWAUTOLINKS)

typedef void (*parse_fn)(const char *buf, size_t len);

/* Two pages: the input is copied to the end of the first, the second is PROT_NONE. */
static char *guard_region;
static long page_size;

/* Returns a copy of s[0..len) whose last byte is the last readable byte before the guard
 * page (no NUL after it). Lives until the process exits. */
static const char *at_guard(const char *s, size_t len) {
  char *dst = guard_region + page_size - (long)len;
  memcpy(dst, s, len);
  return dst;
}

/* Runs parse(s[0..len)) for every prefix length from 1 to len (just len when !prefixes) in a
 * child process; CHECKs that the child exited normally. */
static void run_case(const char *what, parse_fn parse, const char *s, int prefixes) {
  size_t len = strlen(s), n;
  pid_t pid;
  int status = 0;
  if (len > DEPS_MAX_INPUT || (long)len > page_size) {
    CHECK(0, "%s: input over %d bytes", what, DEPS_MAX_INPUT);
    return;
  }
  fflush(NULL);
  pid = fork();
  if (pid == 0) {
    for (n = prefixes ? 1 : len; n <= len; n++) parse(at_guard(s, n), n);
    _exit(0);
  }
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "%s: crashed or failed on %s%zu-byte unterminated input (status %d; a read past the end?)", what,
        prefixes ? "every prefix of a " : "a ", len, status);
}

/* ---- cJSON ----------------------------------------------------------------------------- */

static void cjson_parse(const char *buf, size_t len) {
  cJSON_Delete(cJSON_ParseWithLength(buf, len));
}

static hub *call_hub;
static void hub_call_parse(const char *buf, size_t len) {
  hub_free(hub_call_n(call_hub, buf, len));
}

/* Exits the (child) process with 1 unless setting a NULL valuestring is refused. */
static void set_null_string(const char *buf, size_t len) {
  cJSON *j = cJSON_CreateString("x");
  int ok = j && cJSON_SetValuestring(j, NULL) == NULL && strcmp(j->valuestring, "x") == 0;
  (void)buf;
  (void)len;
  cJSON_Delete(j);
  if (!ok) _exit(1);
}

static void test_cjson(void) {
  cJSON *j;
  char *s;
  size_t i;
  char err[256];
  /* CVE-2023-53154: parse_object read the byte after a trailing comma. */
  run_case("cJSON object ending in a comma", cjson_parse, "{\"a\":1,", 0);
  run_case("cJSON nested object ending in a comma", cjson_parse, "{\"a\":{\"b\":[1,{\"c\":2,", 0);
  run_case("cJSON prefixes of a document", cjson_parse,
           "{\"cmd\":\"settings\",\"set\":{\"repos\":[\"a/b\",\"c/d\"],\"n\":-1.5e3,\"t\":true,"
           "\"f\":false,\"z\":null,\"s\":\"\\u00e9\\n\\\"x\\\"\",\"o\":{}, \"e\":[ ] } }",
           1);
  /* The same through the public API, whose contract says the buffer need not be terminated. */
  if (hub_open(":memory:", NULL, &call_hub, err, sizeof err) == 0) {
    run_case("hub_call_n on a request ending in a comma", hub_call_parse, "{\"cmd\":\"stats\",", 0);
    run_case("hub_call_n on prefixes of a request", hub_call_parse,
             "{\"cmd\":\"settings\",\"set\":{\"repos\":[\"a/b\"],\"label_weights\":{\"x\":2}}}", 1);
    hub_close(call_hub);
  } else {
    CHECK(0, "hub_open: %s", err);
  }

  /* CVE-2023-26819: a number of more than 63 characters was rejected. */
  j = cJSON_Parse("[99999999999999999999999999999999999999999999999999999999999999999999999.5]");
  CHECK(j && cJSON_IsNumber(cJSON_GetArrayItem(j, 0)) && cJSON_GetArrayItem(j, 0)->valuedouble > 9e69,
        "a 72-character number parses (CVE-2023-26819 patch applied)");
  cJSON_Delete(j);
  /* CVE-2024-31755: setting a NULL string crashed. */
  run_case("cJSON_SetValuestring(item, NULL) (CVE-2024-31755)", set_null_string, "x", 0);
  /* Valid input still parses the same after the patches. */
  s = malloc(32);
  if (s) {
    memcpy(s, "{\"a\":[1,2.5,\"x\"]}", 17);
    j = cJSON_ParseWithLength(s, 17);
    CHECK(j && cJSON_GetArraySize(cJSON_GetObjectItem(j, "a")) == 3 &&
              cJSON_GetArrayItem(cJSON_GetObjectItem(j, "a"), 1)->valuedouble == 2.5,
          "a complete unterminated document parses");
    cJSON_Delete(j);
    for (i = 1; i < 17; i++) {
      j = cJSON_ParseWithLength(s, i);
      CHECK(j == NULL, "the %zu-byte prefix of a document is refused", i);
      cJSON_Delete(j);
    }
    free(s);
  }
}

/* ---- md4c ------------------------------------------------------------------------------ */

static int md_block(MD_BLOCKTYPE t, void *d, void *ud) { (void)t; (void)d; (void)ud; return 0; }
static int md_span(MD_SPANTYPE t, void *d, void *ud) { (void)t; (void)d; (void)ud; return 0; }
static int md_text(MD_TEXTTYPE t, const MD_CHAR *s, MD_SIZE n, void *ud) {
  (void)t; (void)s; (void)n; (void)ud;
  return 0;
}

static void md_parse_buf(const char *buf, size_t len) {
  MD_PARSER p;
  memset(&p, 0, sizeof p);
  p.flags = DEPS_MD_FLAGS;
  p.enter_block = md_block;
  p.leave_block = md_block;
  p.enter_span = md_span;
  p.leave_span = md_span;
  p.text = md_text;
  (void)md_parse(buf, (MD_SIZE)len, &p, NULL);
}

static void test_md4c(void) {
  /* md4c 0.4.8 md4c.c:5687 — an ordered-list number at the very end read the next byte. */
  run_case("md4c: digits at the end", md_parse_buf, "1", 0);
  run_case("md4c: a line of digits at the end", md_parse_buf, "text\n\n123456789", 0);
  /* md4c 0.4.8 md4c.c:2321 — an inline link missing its ')' at the very end. */
  run_case("md4c: link destination at the end", md_parse_buf, "[a](b", 0);
  run_case("md4c: link destination and blanks at the end", md_parse_buf, "see [a](<b> ", 0);
  run_case("md4c: prefixes of a document", md_parse_buf,
           "# Title *em* **strong** ~~del~~ `code`\n\n"
           "1. one\n2) two\n   - [x] task\n\n> quote [link](http://a.example/x \"t\") ![i](i.png)\n"
           "\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\n```c\nint x;\n```\n\n"
           "www.example.com and https://e.example/p?q=1 [ref]\n\n[ref]: /u 'title'\n\n"
           "    indented\n\n***\n&amp; &#123; \\* <b>raw</b>  \nend\n1.",
           1);
}

int main(void) {
  page_size = sysconf(_SC_PAGESIZE);
  guard_region = mmap(NULL, (size_t)page_size * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (guard_region == MAP_FAILED || mprotect(guard_region + page_size, (size_t)page_size, PROT_NONE) != 0) {
    fprintf(stderr, "cannot set up a guard page\n");
    return 1;
  }
  test_cjson();
  test_md4c();
  printf("%d passed, %d failed\n", tu_passed, tu_failed);
  return tu_failed != 0;
}
