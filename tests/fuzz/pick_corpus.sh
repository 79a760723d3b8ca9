#!/bin/sh
# pick_corpus.sh — refreshes the committed seeds of one fuzz target (tests/fuzz/corpus/TARGET)
# after `make fuzz`: libFuzzer's set-cover merge keeps a small set of inputs with the same coverage out
# of the run's findings (build/fuzz/grown), the generated seeds and the committed ones; then the
# smallest of those are kept up to BUDGET_KB, each one only if it runs clean on its own with
# every check fatal (no open-ub.supp, no FZ_OPEN, a fresh hub per input), so `make test` can
# replay them on any build. At most MAX_FILES (300) files. Prints what it kept. The committed
# seeds were picked with budgets call 60, sync 100, markdown 60 (MAX_FILES=1100), ufg 40, obd 40.
#
# usage: sh tests/fuzz/pick_corpus.sh TARGET BUDGET_KB
set -eu
t=$1
budget=$(($2 * 1024))
FZ=build/fuzz
bin=$FZ/fuzz_$t
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/merged" "$FZ/grown/$t" "$FZ/corpus/$t" "tests/fuzz/corpus/$t"
export FUZZ_CALL_REUSE=1 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1
unset FZ_OPEN
"$bin" -set_cover_merge=1 -timeout=30 -artifact_prefix="$tmp/" "$tmp/merged" "$FZ/grown/$t" "$FZ/corpus/$t" "tests/fuzz/corpus/$t" > "$tmp/merge.log" 2>&1 ||
  { tail -20 "$tmp/merge.log"; exit 1; }
mkdir -p "$tmp/keep"
total=0
kept=0
dirty=0
for f in $(ls -Sr "$tmp/merged"); do
  size=$(wc -c < "$tmp/merged/$f")
  [ $((total + size)) -le "$budget" ] && [ "$kept" -lt "${MAX_FILES:-300}" ] || break
  if "$bin" "$tmp/merged/$f" > "$tmp/run.log" 2>&1; then
    cp "$tmp/merged/$f" "$tmp/keep/$f"
    total=$((total + size))
    kept=$((kept + 1))
  else
    dirty=$((dirty + 1))
    echo "pick_corpus: $t: skipped $f: $(grep -m1 -E 'runtime error|INVARIANT|ERROR' "$tmp/run.log" | sed 's|.*/src/|src/|' | cut -c1-120)"
  fi
done
rm -f "tests/fuzz/corpus/$t"/*
cp "$tmp/keep"/* "tests/fuzz/corpus/$t"/ 2>/dev/null || true
echo "pick_corpus: $t: kept $kept of $(ls "$tmp/merged" | wc -l) merged inputs, $total bytes; $dirty skipped (they trip a check)"
