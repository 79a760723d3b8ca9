#!/bin/sh
# run_tests.sh — what `make test` runs after building. Suites:
#   layers    the core's layering, from the objects' symbol tables: nothing calls up, no cycles
#   unit      core unit tests, native, ASan + UBSan
#   fixture   golden fixture tests, native, ASan + UBSan
#   activity  the activity heatmap's source over recorded exchanges, its command, the language table
#   wasm      the same fixture tests compiled to wasm, run by node
#   same-rows native and wasm dumps compared row for row
#   bandit    the one-tip recommender: math, rewards, persistence, OBD estimators
#   query     the inbox search language: SQL text, error positions, SQLite results, fuzz
#   console   the insight console's core: read-only SQL refusals and caps, bootstrap intervals,
#             the event ring, the tip's console commands, export → purge → import
#   triage    read/done/snooze/… and undo, bulk, the query in cards, the outbox to GitHub
#   replica   sync between two databases: change feed, import, the conflict rule, the hubd
#             source (natively, and as wasm-replica)
#   jobs      scheduled jobs on a simulated clock: slots, jitter, claims, coalescing, canary
#   llm       hubd's LLM client against the fake LLM server (tests/fake_llm.c) on 127.0.0.1
#   brief     the briefing and the AI queue in the core: rules, the one schema, cache, queue
#   brief-llm hubd's AI driver over the core against the fake LLM: refinement, fallbacks, queue runs
#   webpush   Web Push sending (src/server/webpush.c) incl. libcurl to build/fake_push
#   push      Web Push in the core (src/notify/): what to push when, quiet hours, dedupe, outcomes
#   push-e2e  hubd + the push double: one push for a new review request, none in quiet hours,
#             410 removes the device, 429 retried at Retry-After, endpoints off the allow-list refused
#   fuzz-replay the fuzz targets' committed corpora and fixed findings (tests/fuzz), ASan+UBSan
#   deps      pinned third-party sources: no read past unterminated input, patches in effect
#   commands  every command of the API (every SQL statement), natively and (wasm-commands) in wasm
#   strtod    number parsing and printing: known values; the wasm strtod's and snprintf's
#             results go to same-rows
#   wasm-libc no object of the browser module links musl's printf/scanf (tests/wasm_size.sh)
#   e2e       the `hub` CLI (ASan build) against the fake upstream server on 127.0.0.1
#   hubd      the server (ASan build): static files, API, auth, CORS, limits, signals
#   hubsync   a device's database (the `hub` CLI) syncing with hubd: pull, push, GitHub told once,
#             a wrong key, hubd down and back
#   users     many users without PostgreSQL: repositories, highlights, fatigue, slots, gallery checks
#   cluster   many users on a throwaway PostgreSQL with three hubd nodes: jobs once, kill -9, leader,
#             NOTIFY, keys, for-you, gallery, delete; the per-user API on single-user hubd too
#   browser-* the PWA in Debian's Chromium (playwright-core): pwa flows, OPFS durability, the
#             one tip, the console, the briefing, tabs sharing one database, sync states,
#             first paint from a snapshot, triage in the page (offline, keyboard, outbox to the
#             fake GitHub, search, tabs, undo), the activity heatmap and its filters,
#             Web Push (a notification, its click and actions, "Notify me"), the page
#             syncing with a hubd started by the test; the token at rest encrypted (vault)
#             (screenshots in build/out/screens)
# Ends with one line "N passed, N failed" (the sum over suites).
set -u
B=build
OUT=$B/out
rm -rf "$OUT"
mkdir -p "$OUT/native" "$OUT/wasm" "$OUT/e2e"
PASSED=0
FAILED=0
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# tally NAME LOG RC: adds the suite's "N passed, N failed" line (or one failure if none).
tally() {
  line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
  if [ -n "$line" ]; then
    p=$(echo "$line" | sed -E 's/(^|.*[^0-9])([0-9]+) passed.*/\2/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
  else
    p=0; f=0
  fi
  if [ "$3" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
  if [ "$f" = 0 ]; then echo "ok    $1 ($p checks)"; else echo "FAIL  $1 ($p passed, $f failed) — see $2"; sed -n '1,40p' "$2" | grep -E 'FAIL|ERROR|error|Sanitizer' | head -20; fi
}

run_suite() {
  name=$1; shift
  "$@" > "$OUT/$name.log" 2>&1
  tally "$name" "$OUT/$name.log" $?
}

run_suite layers sh tests/layers.sh $B/native/src
run_suite unit $B/asan/unit_test
run_suite fixture $B/asan/fixture_test "$OUT/native"
run_suite bandit $B/asan/bandit_test
run_suite tangled $B/asan/tangled_test "$OUT/native"
run_suite gfi $B/asan/gfi_test "$OUT/native"
run_suite activity $B/asan/activity_test "$OUT/native"
run_suite ufg $B/asan/ufg_test
run_suite fuzz-replay sh tests/fuzz/replay.sh $B/asan
run_suite query $B/asan/query_test
run_suite console $B/asan/console_test
run_suite triage $B/asan/triage_test
run_suite replica $B/asan/replica_test
run_suite jobs $B/asan/jobs_test
run_suite llm $B/asan/llm_test $B/fake_llm
run_suite brief $B/asan/brief_test
run_suite brief-llm $B/asan/brief_llm_test $B/fake_llm
run_suite webpush $B/asan/webpush_test
run_suite push $B/asan/push_test
run_suite deps $B/asan/deps_test
run_suite commands $B/asan/commands_test "$OUT/native"
run_suite strtod $B/asan/strtod_test "$OUT/native"
run_suite wasm node --no-experimental-fetch $B/wasm/fixture_test.js "$OUT/wasm"
run_suite wasm-tangled node --no-experimental-fetch $B/wasm/tangled_test.js "$OUT/wasm"
run_suite wasm-gfi node --no-experimental-fetch $B/wasm/gfi_test.js "$OUT/wasm"
run_suite wasm-activity node --no-experimental-fetch $B/wasm/activity_test.js "$OUT/wasm"
run_suite wasm-commands node --no-experimental-fetch $B/wasm/commands_test.js "$OUT/wasm" --browser
run_suite wasm-strtod node --no-experimental-fetch $B/wasm/strtod_test.js "$OUT/wasm"
run_suite wasm-replica node --no-experimental-fetch $B/wasm/replica_test.js
run_suite wasm-libc sh tests/wasm_size.sh --libc $B

# same rows natively and in wasm
{
  n=0; bad=0
  for f in "$OUT"/native/*.txt; do
    n=$((n + 1))
    w="$OUT/wasm/$(basename "$f")"
    if ! cmp -s "$f" "$w"; then bad=$((bad + 1)); echo "FAIL native and wasm differ: $f $w"; diff "$f" "$w" | head -5; fi
  done
  [ "$n" -gt 0 ] || { bad=1; echo "FAIL no dumps to compare"; }
  echo "same-rows: $((n - bad)) passed, $bad failed"
} > "$OUT/same-rows.log" 2>&1
tally same-rows "$OUT/same-rows.log" 0

run_suite e2e sh tests/e2e_cli.sh "$OUT/e2e"
run_suite hubd sh tests/hubd_test.sh "$OUT/hubd"
run_suite push-e2e sh tests/push_e2e.sh "$OUT/push-e2e"
run_suite hubsync sh tests/hubsync_test.sh "$OUT/hubsync"
run_suite users $B/asan/users_test
run_suite cluster sh tests/cluster_test.sh "$OUT/cluster"
run_suite browser-pwa node tests/browser/pwa.test.mjs
run_suite browser-storage node tests/browser/storage.test.mjs
run_suite browser-tip node tests/browser/tip.test.mjs
run_suite browser-console node tests/browser/console.test.mjs
run_suite browser-brief node tests/browser/brief.test.mjs
run_suite browser-shared node tests/browser/shared.test.mjs
run_suite browser-triage node tests/browser/triage.test.mjs
run_suite browser-push node tests/browser/push.test.mjs
run_suite browser-activity node tests/browser/activity.test.mjs
run_suite browser-vault node tests/browser/vault.test.mjs
run_suite browser-hubsync node tests/browser/hubsync.test.mjs

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
