/*
 * sqlfuncs.c — the SQL functions the core's statements use beyond SQLite's built-ins
 * (db layer): ln(X) and exp(X), on every connection.
 *
 * They stand in for SQLITE_ENABLE_MATH_FUNCTIONS, which would bring some thirty functions
 * (acos … trunc) and their libm code into the wasm module for the one ln( the core's SQL
 * has (gfi.c). Results are those of the math-functions build: NULL unless X is a number,
 * ln(X) NULL for X <= 0.
 *
 * Nothing in the core calls this file: the build defines SQLITE_EXTRA_INIT as
 * hub__sqlfuncs_init, which SQLite runs at the end of sqlite3_initialize(), and that asks
 * SQLite to register the functions on each connection opened afterwards.
 */
#include <math.h>
#include <stddef.h>
#include "sqlite3.h"

static int numeric(sqlite3_value *v) {
  int t = sqlite3_value_numeric_type(v);
  return t == SQLITE_INTEGER || t == SQLITE_FLOAT;
}

static void fn_ln(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  double x;
  (void)argc;
  if (!numeric(argv[0])) return;
  x = sqlite3_value_double(argv[0]);
  if (x <= 0.0) return;
  sqlite3_result_double(ctx, log(x));
}

static void fn_exp(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  if (!numeric(argv[0])) return;
  sqlite3_result_double(ctx, exp(sqlite3_value_double(argv[0])));
}

/* An auto-extension entry point: registers the functions on db. Returns an SQLite code. */
static int register_funcs(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api) {
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  int rc;
  (void)errmsg;
  (void)api;
  rc = sqlite3_create_function(db, "ln", 1, flags, NULL, fn_ln, NULL, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_create_function(db, "exp", 1, flags, NULL, fn_exp, NULL, NULL);
  return rc;
}

/* Called by sqlite3_initialize() (SQLITE_EXTRA_INIT); the argument is unused. Returns
 * SQLITE_OK, or the code that makes sqlite3_initialize() fail. */
int hub__sqlfuncs_init(const char *unused);
int hub__sqlfuncs_init(const char *unused) {
  (void)unused;
  return sqlite3_auto_extension((void (*)(void))register_funcs);
}
