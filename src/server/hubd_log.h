/*
 * hubd_log.h — hubd's event log: one logfmt line per event on stderr (native driver layer).
 *
 *   ts=2024-05-01T12:00:00.123Z level=info event=request method=GET path=/ status=200 ms=0.4 ip=127.0.0.1
 *
 * A line is built in one bounded buffer and written with one write(2), so lines from several
 * threads never interleave. Values are quoted when they hold spaces, quotes, '=' or control
 * characters; control characters become '?'. Secrets (the API key, upstream tokens) must never be
 * passed here: callers log names and lengths, not values. Nothing is allocated.
 */
#ifndef HUBD_LOG_H
#define HUBD_LOG_H

#ifndef HUBD_LOG_LINE_MAX
#define HUBD_LOG_LINE_MAX 2048 /* longer lines are cut and end with "…" */
#endif

typedef enum { HUBD_LOG_DEBUG, HUBD_LOG_INFO, HUBD_LOG_WARN, HUBD_LOG_ERROR } hubd_log_level;

/* Sets the lowest level written (thread-safe; SIGHUP changes it). */
void hubd_log_set_level(hubd_log_level level);

/* Parses "debug", "info", "warn" or "error" into *out. Returns 0, or -1 (and leaves *out) for
 * anything else. */
int hubd_log_parse_level(const char *s, hubd_log_level *out);

/* Returns 1 when a line at level would be written. */
int hubd_log_enabled(hubd_log_level level);

/* Writes one line: ts, level, event=<event>, then the key/value pairs given as alternating
 * const char * arguments, ending with NULL. A NULL value skips its pair. Example:
 *   hubd_log(HUBD_LOG_INFO, "start", "listen", addr, "db", path, (char *)NULL); */
void hubd_log(hubd_log_level level, const char *event, ...);

#endif
