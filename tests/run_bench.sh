#!/bin/sh
# run_bench.sh — `make bench`: the same benchmark program natively and in wasm (node), one
# table with their ratios, plus the wasm module's size. Timings are best-of-5 where noted.
set -u
B=build
mkdir -p $B/out
$B/bench > $B/out/bench-native.txt || { echo "native bench failed"; exit 1; }
node --no-experimental-fetch $B/wasm/bench.js > $B/out/bench-wasm.txt || { echo "wasm bench failed"; exit 1; }
v() { awk -v k="$1" '$1==k {print $2}' "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
IN=$(v ingest_rate $B/out/bench-native.txt); IW=$(v ingest_rate $B/out/bench-wasm.txt)
RCN=$(v rank_c $B/out/bench-native.txt); RCW=$(v rank_c $B/out/bench-wasm.txt)
RSN=$(v rank_sql $B/out/bench-native.txt); RSW=$(v rank_sql $B/out/bench-wasm.txt)
CN=$(v cards $B/out/bench-native.txt); CW=$(v cards $B/out/bench-wasm.txt)
RAW=$(stat -c %s $B/wasm/hub.wasm); GZ=$(gzip -9 -c $B/wasm/hub.wasm | wc -c)
GLUE=$(stat -c %s $B/wasm/hub.mjs); GLUEGZ=$(gzip -9 -c $B/wasm/hub.mjs | wc -c)
echo
echo "| benchmark                                   | native        | wasm (node)   | wasm/native |"
echo "|---------------------------------------------|---------------|---------------|-------------|"
printf "| ingest: parse+hash+upsert, 20k items        | %8s it/s | %8s it/s | %11s |\n" "$IN" "$IW" "$(ratio "$IW" "$IN")"
printf "| rank 100k: rows → C score → top 200 (ms)    | %13s | %13s | %11s |\n" "$RCN" "$RCW" "$(ratio "$RCW" "$RCN")"
printf "| rank 100k: one SQL query (ms)               | %13s | %13s | %11s |\n" "$RSN" "$RSW" "$(ratio "$RSW" "$RSN")"
printf "| cards: stored rank + index, 200 cards (ms)  | %13s | %13s | %11s |\n" "$CN" "$CW" "$(ratio "$CW" "$CN")"
printf "| SQL / C ranking                             | %13s | %13s |             |\n" "$(ratio "$RSN" "$RCN")" "$(ratio "$RSW" "$RCW")"
echo
echo "| wasm module      | raw bytes | gzip -9 bytes |"
echo "|------------------|-----------|---------------|"
printf "| hub.wasm         | %9s | %13s |\n" "$RAW" "$GZ"
printf "| hub.mjs (glue)   | %9s | %13s |\n" "$GLUE" "$GLUEGZ"
