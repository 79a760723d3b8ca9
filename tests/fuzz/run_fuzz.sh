#!/bin/sh
# run_fuzz.sh — what `make fuzz` runs after building: each target for SECONDS seconds, then a
# table (target, execs, execs/s, corpus, crashes).
#
# A target runs in-process (the fastest libFuzzer mode here); when it stops on a crash, the
# input is kept in build/fuzz/artifacts/<target>/ and the target is started again for the time
# left (at most MAX_RESTARTS times), so one finding does not end the session. New inputs go
# to build/fuzz/grown/<target> (kept between sessions), seeds are read from build/fuzz/corpus.
# The call target keeps one hub for 100 inputs here (FUZZ_CALL_REUSE, see fuzz_call.c):
# replay a crash with the replay build or `build/fuzz/fuzz_call FILE` (fresh hub) to see
# whether it stands alone.
#
# usage: sh tests/fuzz/run_fuzz.sh FZ SECONDS TARGET...
set -u
FZ=$1
SECS=$2
shift 2
MAX_RESTARTS=${MAX_RESTARTS:-25}
LOGS=$FZ/logs
mkdir -p "$LOGS"
# malloc_context_size=0: ASan's allocation stacks cost more than half of a fresh hub's time;
# replay a crash without it to see them
export ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-malloc_context_size=0:detect_leaks=1}
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$(pwd)/tests/fuzz/open-ub.supp
export FUZZ_CALL_REUSE=${FUZZ_CALL_REUSE:-100}
# the broken invariants findings/open.txt lists as known ("invariant:ID" lines)
FZ_OPEN=$(sed -n 's/^invariant:\([a-z0-9-]*\).*/\1/p' tests/fuzz/findings/open.txt 2>/dev/null | tr '\n' ',')
export FZ_OPEN
TABLE=$FZ/fuzz-table.txt
printf '%-10s %10s %8s %8s %8s\n' target execs execs/s corpus crashes > "$TABLE"
for t in "$@"; do
  bin=$FZ/fuzz_$t
  art=$FZ/artifacts/$t
  mkdir -p "$art" "$FZ/grown/$t" "$FZ/corpus/$t"
  before=$(ls "$art" | grep -cE '^(crash|leak|timeout|oom)-')
  start=$(date +%s)
  execs=0
  runs=0
  # sync inputs are whole runs, some 300 KB: mutate prefixes of at most 64 KB (any prefix of a
  # sync input is an input, see sync_drive.h), which keeps it at a few execs per second
  case $t in sync) extra=-max_len=65536 ;; *) extra= ;; esac
  : > "$LOGS/$t.log"
  while :; do
    now=$(date +%s)
    left=$((SECS - (now - start)))
    [ "$left" -gt 0 ] && [ "$runs" -le "$MAX_RESTARTS" ] || break
    runs=$((runs + 1))
    "$bin" -max_total_time="$left" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 $extra \
      -artifact_prefix="$art/" "$FZ/grown/$t" "$FZ/corpus/$t" >> "$LOGS/$t.log.run" 2>&1
    rc=$?
    n=$(grep -E '^stat::number_of_executed_units' "$LOGS/$t.log.run" | tail -n 1 | awk '{print $2}')
    [ -n "$n" ] || n=$(grep -oE '^#[0-9]+' "$LOGS/$t.log.run" | tail -n 1 | tr -d '#')
    execs=$((execs + ${n:-0}))
    cat "$LOGS/$t.log.run" >> "$LOGS/$t.log"
    rm -f "$LOGS/$t.log.run"
    [ "$rc" = 0 ] && break
  done
  el=$(($(date +%s) - start))
  [ "$el" -gt 0 ] || el=1
  crashes=$(($(ls "$art" | grep -cE '^(crash|leak|timeout|oom)-') - before))
  corpus=$(($(ls "$FZ/grown/$t" | wc -l) + $(ls "$FZ/corpus/$t" | wc -l)))
  printf '%-10s %10d %8d %8d %8d\n' "$t" "$execs" $((execs / el)) "$corpus" "$crashes" >> "$TABLE"
  echo "fuzz: $t done ($execs execs in ${el}s, $crashes new crash inputs in $art, log $LOGS/$t.log)"
done
cat "$TABLE"
