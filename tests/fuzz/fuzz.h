/*
 * fuzz.h — shared pieces of hub's libFuzzer targets (tests/fuzz/fuzz_*.c), test layer.
 *
 *   - a splitter that turns one fuzz input into typed values, in the manner of LLVM's
 *     FuzzedDataProvider: numbers are taken from the end of the input (or, for formats read
 *     front to back, from the front), strings from the front (a string ends at a backslash
 *     followed by any other byte; "\\\\" is one backslash), and an exhausted input yields
 *     zeros and empty strings;
 *   - a growable byte buffer with a JSON string escaper that keeps every byte (NUL becomes
 *     \u0000, invalid UTF-8 passes through raw, as a hostile upstream would send it);
 *   - the invariants every target checks, each one abort()ing on violation so libFuzzer
 *     reports a crash with the input: every reply of hub_call is a JSON object (that the
 *     core's cJSON, with its nesting limit, reads back); read-only
 *     commands change no rows; a markdown tree holds only whitelisted nodes and http(s)
 *     targets; the GitHub token appears only in an Authorization header towards the API host.
 *
 * Each target defines LLVMFuzzerTestOneInput. Built with -fsanitize=fuzzer it is a libFuzzer
 * binary (make fuzz); linked with tests/fuzz/replay_main.c it is a plain program that runs
 * the inputs named on its command line (make test).
 *
 * Test-only code: it aborts on OOM. Strings returned are malloc'd (free()) unless said
 * otherwise; replies of the core are hub_free'd by the helpers.
 */
#ifndef HUB_FUZZ_H
#define HUB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include "hub.h"
#include "cJSON.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the splitter ---------------------------------------------------------------------- */
typedef struct {
  const uint8_t *p; /* front of what is left */
  size_t n;         /* bytes left */
} fz_in;

/* One byte from the end of the input (0 when it is exhausted). */
unsigned fz_u8(fz_in *in);
/* Two bytes from the end, the last one most significant. */
unsigned fz_u16(fz_in *in);
/* One byte from the front (0 when the input is exhausted), for formats read front to back. */
unsigned fz_front_u8(fz_in *in);
/* A value in [0, n) from one byte (n ≤ 256; 0 when n is 0). */
unsigned fz_pick(fz_in *in, unsigned n);
/* Nonzero when nothing is left. */
int fz_empty(const fz_in *in);
/* A string of at most max bytes from the front (may hold NULs). Returns a new buffer with
 * a NUL after the *len bytes; free() it. */
char *fz_str(fz_in *in, size_t max, size_t *len);

/* ---- the buffer ------------------------------------------------------------------------ */
typedef struct {
  char *p;
  size_t len, cap;
} fz_buf;

/* Appends n bytes (kept NUL-terminated). */
void fz_add(fz_buf *b, const void *s, size_t n);
void fz_adds(fz_buf *b, const char *s);
void fz_addf(fz_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s[0..n) as a quoted JSON string: '"', '\\' and bytes below 0x20 escaped, every
 * other byte as is. */
void fz_add_json_str(fz_buf *b, const char *s, size_t n);
void fz_buf_free(fz_buf *b);

/* ---- the hub and its invariants ------------------------------------------------------- */
/* Reports a broken invariant on stderr and aborts. */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Opens a fresh ":memory:" hub (aborts on failure) and remembers its SQLite connection
 * (caught through sqlite3_auto_extension, the public SQLite API) for the row-change check. */
hub *fz_open(void);

/* sqlite3_total_changes64 of the connection of the hub fz_open opened last. */
long long fz_changes(void);

/* Runs one request of len bytes through hub_call_n and checks: the reply is a JSON object;
 * when the request is a read-only command (fz_read_only), sqlite3_total_changes64 of the
 * hub's connection did not move; when token is non-NULL, the reply holds it only where
 * fz_check_token allows. Returns the parsed reply (cJSON_Delete) — never NULL. */
cJSON *fz_call(hub *h, const char *req, size_t len, const char *token, const char *api);
/* fz_call for a NUL-terminated request. */
cJSON *fz_calls(hub *h, const char *req, const char *token, const char *api);

/* 1 when the broken invariant id is listed in the environment variable FZ_OPEN (comma-
 * separated; `make fuzz` fills it from the "invariant:" lines of tests/fuzz/findings/open.txt):
 * a known finding, not fixed yet, that the fuzz runs tolerate. Ids: deep-json (replies nested
 * past CJSON_NESTING_LIMIT), unterminated-request (fuzz_call pads requests with a NUL). */
int fz_open_ok(const char *id);

/* The nesting depth of a JSON text (no limit, unlike cJSON), or -1 when it is not JSON. */
int fz_json_depth(const char *text);

/* 1 when req is a command that must not write: cards, card, stats, last_run, tip_stats,
 * settings without "set", gfi_repos without "repos" (looked up the way api.c does). */
int fz_read_only(const cJSON *req);

/* Checks a markdown tree (card.body_ast, hub__markdown_ast): an array of strings and
 * {"t":tag,"c":[...]} nodes with t in markdown.c's whitelist, "href" only on a, "src"/"alt"
 * only on img, hrefs and srcs only http:// or https://, no other keys. */
void fz_check_ast(const cJSON *ast);

/* Checks the token rule on one reply (raw text and parsed): every occurrence of token is
 * inside the "Authorization" header of a planned request (fetch[i]) whose URL has the same
 * scheme, host and port as api; it never appears in a URL, another header, or elsewhere. */
void fz_check_token(const char *raw, const cJSON *reply, const char *token, const char *api);

#endif
