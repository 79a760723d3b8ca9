#!/bin/sh
# replay.sh — `make test`'s fuzz-replay suite: every committed corpus input and every finding
# of tests/fuzz (corpus/<target>/*, findings/<target>/*) through its target's replay build
# (BIN/fuzz_<target>_replay, no libFuzzer). One check per file: it passes when the target
# returns (no broken invariant, no sanitizer report). Findings listed in findings/open.txt are
# known and not fixed yet: they are skipped (and counted as skipped) until removed from it.
#
# usage: sh tests/fuzz/replay.sh BIN
set -u
BIN=${1:-build/asan}
export FUZZ_CALL_REUSE=1 # a fresh hub per input: each file stands alone
unset FZ_OPEN            # every invariant holds
D=tests/fuzz
PASSED=0
FAILED=0
SKIPPED=0
for t in call sync markdown ufg obd query llm http; do
  files=""
  for f in "$D/corpus/$t"/* "$D/findings/$t"/*; do
    [ -f "$f" ] || continue
    if [ -f "$D/findings/open.txt" ] && grep -q "^${f#$D/findings/}\( \|$\)" "$D/findings/open.txt"; then
      SKIPPED=$((SKIPPED + 1))
      continue
    fi
    files="$files $f"
  done
  [ -n "$files" ] || continue
  # shellcheck disable=SC2086
  set -- $files
  while [ $# -gt 0 ]; do
    out=$("$BIN/fuzz_${t}_replay" "$@" 2>"$BIN/fuzz_${t}_replay.err")
    rc=$?
    k=$(printf '%s\n' "$out" | grep -c '^ok ')
    PASSED=$((PASSED + k))
    [ "$rc" = 0 ] && break
    shift "$k"
    FAILED=$((FAILED + 1))
    echo "FAIL fuzz $t: $1"
    grep -E 'INVARIANT|ERROR|runtime error|SUMMARY' "$BIN/fuzz_${t}_replay.err" | head -5
    shift
  done
done
echo "fuzz-replay: $SKIPPED open findings skipped"
echo "fuzz-replay: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
