/*
 * writer.h — hubd's one writer: a thread that owns the read-write hub handle and runs jobs
 * from a bounded queue, one at a time (native driver layer).
 *
 * The core's handle is single-threaded and SQLite allows one writer, so every command that
 * may write — /api/call's write commands, POST /api/sync, DELETE /api/data and, later, the
 * scheduler's jobs — is a job on this queue. A job is either one core JSON command or a
 * function run with the handle (a whole sync run). Errors made here are core-shaped:
 * {"error":{"code":"busy"|"unavailable","message":…}}. Callers either wait for the reply
 * (hubd_writer_call, hubd_writer_run) or post and get called back (hubd_writer_post: the
 * hook the scheduler will use).
 *
 * Stopping: hubd_writer_stop raises the stop flag (which hubd also hands to the transport so a
 * sync in progress aborts its transfer, records the run as aborted and returns), lets the job
 * in progress end, answers every queued job with an "unavailable" error, joins the thread and
 * closes the handle. Calls made after that get the same error at once; the struct itself lives
 * until hubd_writer_free, so HTTP threads may still hold it.
 *
 * Ownership: results are NUL-terminated JSON strings released with hub_free. NULL only on OOM.
 */
#ifndef HUBD_WRITER_H
#define HUBD_WRITER_H

#include <stdatomic.h>
#include <stddef.h>
#include "hub.h"

#ifndef HUBD_WRITER_QUEUE_MAX
#define HUBD_WRITER_QUEUE_MAX 64 /* queued jobs; beyond, callers get a "busy" error */
#endif

typedef struct hubd_writer hubd_writer;

/* A job body: runs on the writer thread with its handle; returns a result released with
 * hub_free (NULL = out of memory). */
typedef char *(*hubd_job_fn)(hub *h, void *arg);

/* Called on the writer thread when a posted job ends, with its result (ownership passes to the
 * callback, which frees it with hub_free) — or with an "unavailable" error if hubd stopped
 * before the job ran. */
typedef void (*hubd_job_done)(char *result, void *arg);

/* Starts the writer thread, which takes ownership of h (closed by hubd_writer_stop). Returns
 * NULL (h left open) when the thread cannot start. */
hubd_writer *hubd_writer_start(hub *h);

/* Runs one core command (len bytes of JSON) on the writer and waits for its result. */
char *hubd_writer_call(hubd_writer *w, const char *json, size_t len);

/* Runs fn(h, arg) on the writer and waits for its result. */
char *hubd_writer_run(hubd_writer *w, hubd_job_fn fn, void *arg);

/* Queues fn(h, arg) and returns at once; done(result, arg) follows on the writer thread.
 * Returns 0, or -1 when the queue is full, hubd is stopping or memory is short (done is then
 * not called). */
int hubd_writer_post(hubd_writer *w, hubd_job_fn fn, void *arg, hubd_job_done done);

/* A counter bumped after every job the writer ran (a possible change to the database), read
 * from any thread: answers cached by readers are stale once it moved. */
unsigned long hubd_writer_generation(hubd_writer *w);

/* The flag raised by hubd_writer_stop; read it (from any thread) to abandon long work. */
const atomic_int *hubd_writer_stopping(hubd_writer *w);

/* Stops the writer as described above and closes the handle. Idempotent. */
void hubd_writer_stop(hubd_writer *w);

/* Frees a stopped writer. NULL is a no-op. */
void hubd_writer_free(hubd_writer *w);

#endif
