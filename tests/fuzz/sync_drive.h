/*
 * sync_drive.h — the sync scenario of fuzz target "sync" (test layer), shared with the seed
 * generator (tests/fuzz/seeds.c), which records real exchanges into inputs of this format.
 *
 * One fresh ":memory:" hub is configured so that every source plans requests: GitHub (token,
 * API on FZ_API, notifications, search, two watched repos), tangled (handle alice.test; the
 * handle resolver, PLC directory and backlink index on FZ_TG) and the good-first-issue list
 * (on FZ_LISTS). Then up to FZ_RUNS sync runs are driven only through hub_call
 * (sync_start / sync_next / sync_feed), every planned request answered from the input:
 *
 * The input is read front to back, each choice when the scenario needs it:
 *   first       u8 page_size (0: the default)
 *   per answer  u8 kind: bits 0-4 pick a status from the table in sync_drive.c, a raw u16
 *               status, a network error, an odd number literal ("1e300" …), a body marked
 *               too large, or 200; u16 mask of the FZ_NHDR headers present; each present
 *               header's value (string, as fuzz.h); the body (string; the error text for a
 *               network error)
 *   after a run u8 (odd: run again, up to FZ_RUNS), u8 (tens of minutes that pass before it)
 * So any prefix of an input is an input too: cut after the Nth answer (libFuzzer's -max_len,
 * a crossover) it replays the same first N answers. An input that runs out answers 404 to
 * whatever is still planned. After the runs every read-only
 * command is called (cards, card of the first cards, stats, last_run, tip_stats, settings,
 * gfi_repos): no rows may change and every card's body_ast must pass fz_check_ast. Every
 * reply must keep FZ_TOKEN inside Authorization headers towards FZ_API (fz_check_token).
 * With FZ_VERBOSE set in the environment, the stats and the last run are printed to stderr.
 */
#ifndef HUB_FUZZ_SYNC_DRIVE_H
#define HUB_FUZZ_SYNC_DRIVE_H

#include "fuzz.h"

#define FZ_API "http://127.0.0.1:7000"
#define FZ_TG "http://127.0.0.1:7001"
#define FZ_LISTS "http://127.0.0.1:7002"
#define FZ_TOKEN "ghp_fuzzSECRETtoken0b7e3a91c4d2f6"
#define FZ_NHDR 16
#define FZ_HDR_MAX 4096
#define FZ_BODY_MAX (1u << 20)
#define FZ_RUNS 3
#define FZ_MAX_REQUESTS 600 /* per input, over all runs */

enum { FZ_A_STATUS, FZ_A_NETERR, FZ_A_LITERAL, FZ_A_TOOLARGE };

/* One answer to a planned request. Strings are malloc'd and owned by the answer. */
typedef struct {
  int kind;          /* FZ_A_* */
  int status;        /* FZ_A_STATUS */
  unsigned literal;  /* FZ_A_LITERAL: index into the literal table */
  unsigned mask;     /* bit i: header fz_header_names[i] is present with value hv[i] */
  char *hv[FZ_NHDR];
  size_t hl[FZ_NHDR];
  char *body;        /* the body, or the error text of FZ_A_NETERR */
  size_t blen;
} fz_answer;

/* Lower-case header names, in mask bit order. */
extern const char *const fz_header_names[FZ_NHDR];

/* A recorder answers planned requests itself (fn fills *out for url with the planned request
 * headers req_headers) and appends every choice to out, so that fz_recorder_bytes
 * gives an input that replays the same scenario. */
typedef void (*fz_record_fn)(void *ud, const char *url, const cJSON *req_headers, fz_answer *out);
typedef struct {
  fz_record_fn fn;
  void *ud;
  unsigned page_size; /* the page_size byte to record */
  int runs;           /* runs to record (1..FZ_RUNS) */
  long max_answers;   /* record this many answers, then end the input (0: no limit) */
  long answers;       /* recorded so far */
  fz_buf out;
} fz_recorder;

/* Runs the scenario. rec NULL: every choice comes from in (which may be NULL when rec is
 * set). check_token 0 skips the token rule (when the input itself holds the token). */
void fz_sync_drive(fz_in *in, fz_recorder *rec, int check_token);

/* The recorded input into out. Frees the recorder's buffer. */
void fz_recorder_bytes(fz_recorder *rec, fz_buf *out);

/* Frees what an answer owns and zeroes it. */
void fz_answer_free(fz_answer *a);

#endif
