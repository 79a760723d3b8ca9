/*
 * replay.h — replays recorded HTTP exchanges (tests/exchanges/<scenario>/exchanges.txt,
 * format in tests/exchanges/README.md) in-process. Portable C11: stdio/stdlib/string only,
 * so the same code runs natively, in wasm (node + NODERAWFS) and inside fake_upstream.c.
 * Not thread-safe: callers serialize access to one replay (fake_upstream holds a mutex).
 */
#ifndef HUB_REPLAY_H
#define HUB_REPLAY_H

#include <stddef.h>

typedef struct replay replay;

typedef struct {
  const char *name;
  const char *value;
} replay_header;

/* A replayed answer. headers (array) and every name/value are separately malloc'd; body is
 * malloc'd, body_len bytes plus a terminating NUL (never NULL after replay_answer). All of it
 * is owned by the response and released by replay_response_free. */
typedef struct {
  int status;
  replay_header *headers;
  size_t nheaders;
  char *body;
  size_t body_len;
} replay_response;

/* Extra facts about one answer (for fake_upstream's log). */
typedef struct {
  int matched;        /* 1 if a recorded block answered, 0 for the unmatched 404 */
  int charged;        /* 1 unless the answer was a 304 */
  char resource[32];  /* X-RateLimit-Resource the request was charged to ("core" default) */
} replay_info;

/* Loads and merges the scenario directories dirs[0..ndirs) (blocks keep file order, dir by dir).
 * base replaces the literal {{base}} in response headers and bodies (e.g.
 * "http://127.0.0.1:8080" or "https://api.github.com"; no trailing slash).
 * Returns a new replay (free with replay_free), or NULL with a message in err. */
replay *replay_load(const char *const *dirs, size_t ndirs, const char *base, char *err, size_t errlen);

/* Answers one request. path_and_query is "/path?query" or a full URL (scheme://host[:port] is
 * stripped). req_headers may be NULL when nreq is 0. Fills *out (caller frees it with
 * replay_response_free, also when the status is 404). Returns 0, or -1 on out-of-memory (then
 * *out is empty and needs no free, though freeing it is harmless). */
int replay_answer(replay *r, const char *method, const char *path_and_query,
                  const replay_header *req_headers, size_t nreq, replay_response *out);

/* replay_answer plus facts about the answer in *info (info may be NULL). Same contract. */
int replay_answer_info(replay *r, const char *method, const char *path_and_query,
                       const replay_header *req_headers, size_t nreq, replay_response *out,
                       replay_info *info);

/* Moves every ISO-8601 UTC timestamp ("YYYY-MM-DDTHH:MM:SSZ") in the recorded bodies by the
 * same offset, so that the newest one lands at newest_s (seconds since the epoch): recorded
 * traffic that looks recent, with every interval between events kept. Returns the offset in
 * seconds. Used by `make run` (fake_upstream --fresh), never by the tests. */
long long replay_shift_times(replay *r, long long newest_s);

/* Frees everything a response owns and empties it. Safe on an emptied or zeroed response. */
void replay_response_free(replay_response *resp);

/* Looks up a response header by case-insensitive name. Returns a pointer into resp (not a
 * copy), or NULL. */
const char *replay_response_header(const replay_response *resp, const char *name);

/* Counters since load or the last reset: every answered request, those charged (all but 304),
 * 304s, and unmatched (404 from no recording). Any pointer may be NULL. */
void replay_stats(const replay *r, long *requests, long *charged, long *not_modified, long *unmatched);

/* The request line ("GET /path?query") of the most recent unmatched request, or "" if none.
 * Points into r; valid until the next replay_answer or replay_free. */
const char *replay_last_unmatched(const replay *r);

/* Zeroes the counters (not the served-block positions). */
void replay_reset_stats(replay *r);

/* Rewinds every block to "not yet served", so repeated recordings start over. */
void replay_rewind(replay *r);

/* Frees r and everything it owns. NULL is fine. */
void replay_free(replay *r);

#endif
