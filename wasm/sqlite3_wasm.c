/*
 * sqlite3_wasm.c — SQLite as the wasm build compiles it (wasm/ layer): the pinned
 * amalgamation, plus what the statements WASM_SQLITE_OPTS omits still need.
 *
 * The amalgamation's parser is generated with every feature, so with SQLITE_OMIT_ANALYZE,
 * _REINDEX or _VIEW its actions still call the functions those options remove. Here they are
 * defined again inside the same translation unit (they are static there): each refuses its
 * statement with "... is not in this build" (an SQL error a caller sees, never a silent
 * no-op). ATTACH stays: VACUUM (the console's purge) is built on it. The core uses none of these statements (tests/commands_test.c runs every command
 * of the API in this build and fails on any SQL error).
 */
#include "sqlite3.c"

#ifdef SQLITE_OMIT_ANALYZE
SQLITE_PRIVATE void sqlite3Analyze(Parse *p, Token *a, Token *b) {
  (void)a;
  (void)b;
  sqlite3ErrorMsg(p, "ANALYZE is not in this build");
}
#endif

#ifdef SQLITE_OMIT_REINDEX
SQLITE_PRIVATE void sqlite3Reindex(Parse *p, Token *a, Token *b) {
  (void)a;
  (void)b;
  sqlite3ErrorMsg(p, "REINDEX is not in this build");
}
#endif

#ifdef SQLITE_OMIT_VIEW
SQLITE_PRIVATE void sqlite3CreateView(Parse *p, Token *begin, Token *name1, Token *name2,
                                      ExprList *cols, Select *sel, int temp, int noerr) {
  (void)begin;
  (void)name1;
  (void)name2;
  (void)temp;
  (void)noerr;
  sqlite3ExprListDelete(p->db, cols);
  sqlite3SelectDelete(p->db, sel);
  sqlite3ErrorMsg(p, "CREATE VIEW is not in this build");
}
#endif
