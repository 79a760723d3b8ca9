#!/bin/sh
# run_bench.sh — `make bench`: the same benchmark program natively and in wasm (node), one
# table with their ratios, the wasm module's size, and hubd's figures (tests/bench_hubd.sh: wrk against
# nginx, memory, ingest through hubd vs the CLI). Timings are best-of-5 where noted. The browser's
# ingest is set beside the core's time on the same 5,000 issues natively and in wasm under node
# (tests/bench.c with the scenario's directory), split into fetch / copy / parse / store / OPFS.
# The wasm runs that report CPU time use --no-liftoff: node's CPU clock counts all of its
# threads, and V8's background tier-up of the module (Liftoff first, TurboFan behind it) ran
# during the measured loops (tip + feedback read 2,240 µs with it, 842 µs without: the
# steady state a page reaches after its first seconds).
set -u
B=build
mkdir -p $B/out
$B/bench > $B/out/bench-native.txt || { echo "native bench failed"; exit 1; }
node --no-experimental-fetch $B/wasm/bench.js > $B/out/bench-wasm.txt || { echo "wasm bench failed"; exit 1; }
SC=$B/out/bench-scenario
rm -rf $SC && node tests/bench_scenario.mjs $SC 50 > /dev/null || { echo "scenario failed"; exit 1; }
$B/bench $SC > $B/out/bench-scen-native.txt || { echo "native scenario bench failed"; exit 1; }
node --no-experimental-fetch --no-liftoff $B/wasm/bench.js $SC > $B/out/bench-scen-wasm.txt || { echo "wasm scenario bench failed"; exit 1; }
# The tip's figures: native and wasm alternated five times (a second each), each key's fastest
# run kept (the machine's speed drifts by up to ~1.8× for seconds at a time; alternating puts
# both sides in the same phases: with three, one make bench caught all three wasm runs in a
# slow phase, 402 µs, where five alternated runs minutes later read 288). The simulator family's table comes from one full native run.
$B/bench_bandit family > $B/out/bandit-family.txt || { echo "native bandit bench failed"; exit 1; }
for i in 1 2 3 4 5; do
  $B/bench_bandit micro > $B/out/bandit-native-$i.txt || { echo "native bandit bench failed"; exit 1; }
  node --no-experimental-fetch --no-liftoff $B/wasm/bench_bandit.js micro > $B/out/bandit-wasm-$i.txt || { echo "wasm bandit bench failed"; exit 1; }
done
fastest() { awk 'NF >= 2 && $2 ~ /^[0-9.]+$/ { if (!($1 in m) || $2 + 0 < m[$1]) m[$1] = $2 + 0 } END { for (k in m) print k, m[k] }' "$@"; }
{ fastest $B/out/bandit-native-[1-5].txt; cat $B/out/bandit-family.txt; } > $B/out/bandit-native.txt
fastest $B/out/bandit-wasm-[1-5].txt > $B/out/bandit-wasm.txt
node tests/browser/bench.mjs > $B/out/bench-browser.txt || { echo "browser bench failed"; exit 1; }
STORAGE_ONLY=bench node tests/browser/storage.test.mjs > $B/out/bench-opfs.txt || { echo "OPFS bench failed"; exit 1; }
sh tests/bench_hubd.sh > $B/out/bench-hubd.txt || { echo "hubd bench failed"; exit 1; }
sh tests/bench_cluster.sh > $B/out/bench-cluster.txt 2> $B/out/bench-cluster.err || { echo "cluster bench failed"; exit 1; }
v() { awk -v k="$1" '$1==k {print $2}' "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
IN=$(v ingest_rate $B/out/bench-native.txt); IW=$(v ingest_rate $B/out/bench-wasm.txt)
RCN=$(v rank_c $B/out/bench-native.txt); RCW=$(v rank_c $B/out/bench-wasm.txt)
RSN=$(v rank_sql $B/out/bench-native.txt); RSW=$(v rank_sql $B/out/bench-wasm.txt)
CN=$(v cards $B/out/bench-native.txt); CW=$(v cards $B/out/bench-wasm.txt)
echo
echo "| benchmark                                   | native        | wasm (node)   | wasm/native |"
echo "|---------------------------------------------|---------------|---------------|-------------|"
printf "| ingest: parse+hash+upsert, 20k items        | %8s it/s | %8s it/s | %11s |\n" "$IN" "$IW" "$(ratio "$IW" "$IN")"
printf "| rank 100k: rows → C score → top 200 (ms)    | %13s | %13s | %11s |\n" "$RCN" "$RCW" "$(ratio "$RCW" "$RCN")"
printf "| rank 100k: one SQL query (ms)               | %13s | %13s | %11s |\n" "$RSN" "$RSW" "$(ratio "$RSW" "$RSN")"
printf "| cards: stored rank + index, 200 cards (ms)  | %13s | %13s | %11s |\n" "$CN" "$CW" "$(ratio "$CW" "$CN")"
printf "| SQL / C ranking                             | %13s | %13s |             |\n" "$(ratio "$RSN" "$RCN")" "$(ratio "$RSW" "$RCW")"
BR=$B/out/bench-browser.txt
BIN=$(v browser_ingest_rate $BR); NIN=$(v native_ingest_rate $BR)
echo
echo "| in the browser (headless Chromium, loopback fake GitHub)  | value          |"
echo "|-----------------------------------------------------------|----------------|"
printf "| sync 5,000 issues: browser (worker, fetch, wasm, OPFS)    | %8s it/s  |\n" "$BIN"
printf "| sync 5,000 issues: native CLI (libcurl, native core)      | %8s it/s  |\n" "$NIN"
printf "|   browser time in fetch (ms, of the whole sync)             | %14s |\n" "$(v browser_ingest_fetch_ms $BR)"
printf "|   browser time in the core: parse, hash, upsert, OPFS (ms)  | %14s |\n" "$(v browser_ingest_core_ms $BR)"
printf "|   browser whole sync (ms)                                   | %14s |\n" "$(v browser_ingest_total_ms $BR)"
printf "| browser / native                                          | %14s |\n" "$(ratio "$BIN" "$NIN")"
printf "|   re-sync, all 304: requests / CORS preflights sent         | %6s / %5s |\n" "$(v browser_resync_requests $BR)" "$(v browser_resync_preflights $BR)"
printf "| warm start to first card, 5,000 items, SW warm (median 7)  |                |\n"
printf "|   from the snapshot (a reload)                            | %11s ms |\n" "$(v warm_start_first_card_snapshot_ms $BR)"
printf "|   from the snapshot, opened from another page             | %11s ms |\n" "$(v warm_start_first_card_open_ms $BR)"
printf "|   reload: HTML / old page unloaded / CSS / app.js runs    | %3s/%3s/%3s/%3s ms |\n" "$(v warm_start_snap_html_ms $BR)" "$(v warm_start_snap_unload_ms $BR)" "$(v warm_start_snap_css_ms $BR)" "$(v warm_start_snap_main_ms $BR)"
printf "|   opened: HTML / CSS / app.js runs                        | %4s/%4s/%4s ms |\n" "$(v warm_start_open_html_ms $BR)" "$(v warm_start_open_css_ms $BR)" "$(v warm_start_open_main_ms $BR)"
printf "|   a card's title painted: reload / opened                 | %6s/%4s ms |\n" "$(v warm_start_snap_paint_ms $BR)" "$(v warm_start_open_paint_ms $BR)"
printf "|   without a snapshot (first_screen after the worker)      | %11s ms |\n" "$(v warm_start_first_card_no_snapshot_ms $BR)"
printf "|   live list in (snapshot runs)                            | %11s ms |\n" "$(v warm_start_live_list_ms $BR)"
printf "|   worker ready / of which wasm compile / storage open     | %4s/%3s/%3s ms |\n" "$(v warm_start_worker_ready_ms $BR)" "$(v warm_start_wasm_compile_ms $BR)" "$(v warm_start_storage_open_ms $BR)"
printf "| snapshot read at page start (%s bytes, median 7)       |                |\n" "$(v snapshot_bytes $BR)"
printf "|   localStorage / Cache API / IndexedDB                    | %4s/%4s/%4s ms |\n" "$(v snapshot_read_localStorage_ms $BR)" "$(v snapshot_read_cache_ms $BR)" "$(v snapshot_read_idb_ms $BR)"
printf "| triage action (#) → list updated, 5,000 items, p50 / p95  | %5s/%5s ms |\n" "$(v triage_list_updated_p50_ms $BR)" "$(v triage_list_updated_p95_ms $BR)"
printf "|   → the worker's answer drawn, p50 / p95                  | %5s/%5s ms |\n" "$(v triage_worker_answer_drawn_p50_ms $BR)" "$(v triage_worker_answer_drawn_p95_ms $BR)"
printf "|   of which the triage command's answer, p50               | %11s ms |\n" "$(v triage_command_answer_p50_ms $BR)"
printf "| triage-sized commit on OPFS, p50                          | %11s ms |\n" "$(v opfs_commit_p50_ms $B/out/bench-opfs.txt)"
printf "| triage-sized commit on OPFS, p95                          | %11s ms |\n" "$(v opfs_commit_p95_ms $B/out/bench-opfs.txt)"
O=$B/out/bench-opfs.txt
printf "|   per commit: OPFS reads / writes / flushes / size calls  | %s/%s/%s/%s |\n" "$(v opfs_commit_reads $O)" "$(v opfs_commit_writes $O)" "$(v opfs_commit_flushes $O)" "$(v opfs_commit_sizes $O)"
printf "|   slowest 5%%: ms in flushes / writes / the rest           | %s/%s/%s ms |\n" "$(v opfs_commit_tail_flush_ms $O)" "$(v opfs_commit_tail_write_ms $O)" "$(v opfs_commit_tail_other_ms $O)"
SN=$B/out/bench-scen-native.txt; SW=$B/out/bench-scen-wasm.txt
CN=$(v scen_core_bytes_ms $SN); CWN=$(v scen_core_bytes_ms $SW); CB=$(v browser_ingest_core_ms $BR)
CNB=$(v native_core_bytes_ms $BR) # native best of the runs made between the browser's (bench.mjs)
PN=$(v scen_parse_ms $SN); PW=$(v scen_parse_ms $SW); PB=$(v browser_ingest_parse_ms $BR)
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a - b }'; }
echo
echo "| ingest of the same 5,000 issues (50 pages), ms  | native        | wasm (node)   | browser (OPFS) |"
echo "|-------------------------------------------------|---------------|---------------|----------------|"
printf "| fetch (loopback fake GitHub; browser: serial)   | %13s | %13s | %14s |\n" "-" "-" "$(v browser_ingest_fetch_ms $BR)"
printf "| copy of the bodies into wasm memory             | %13s | %13s | %14s |\n" "-" "-" "$(v browser_ingest_copy_ms $BR)"
printf "| core, bodies as bytes (hub_feed); best of 3     | %13s | %13s | %14s |\n" "$CN" "$CWN" "$CB"
printf "|   the same as CPU time (wasm: node's clock)     | %13s | %13s | %14s |\n" "$(v scen_core_bytes_cpu_ms $SN)" "$(v scen_core_bytes_cpu_ms $SW)" "-"
printf "|   parse (a bare cJSON parse of the same bytes)  | %13s | %13s | %14s |\n" "$PN" "$PW" "$PB"
printf "|   OPFS (the VFS's reads, writes, flushes)       | %13s | %13s | %14s |\n" "-" "-" "$(v browser_ingest_opfs_ms $BR)"
printf "|   store (the rest: hash, upsert, SQLite)        | %13s | %13s | %14s |\n" "$(minus "$CN" "$PN")" "$(minus "$CWN" "$PW")" "$(v browser_ingest_store_ms $BR)"
printf "| core, bodies as JSON strings (hub_call)         | %13s | %13s | %14s |\n" "$(v scen_core_json_ms $SN)" "$(v scen_core_json_ms $SW)" "-"
printf "|   + the driver wrapping them into the request   | %13s | %13s | %14s |\n" "$(v scen_wrap_json_ms $SN)" "$(v scen_wrap_json_ms $SW)" "-"
printf "| core per item, ratio to native (goal ≤ 1.5)     | %13s | %13s | %14s |\n" "1.00" "$(ratio "$CWN" "$CN")" "$(v browser_core_ratio $BR)"
printf "|   browser: best / median of %s warm runs; native best | %7s | %13s | %7s / %4s |\n" "$(v browser_ingest_runs $BR)" "$CNB" "-" "$CB" "$(v browser_ingest_core_median_ms $BR)"
printf "|   browser's first run, module just compiled (ratio) | %9s | %13s | %7s (%s) |\n" "-" "-" "$(v browser_ingest_core_first_ms $BR)" "$(v browser_core_first_ratio $BR)"
printf "| OPFS writes / flushes in the browser's sync     | %13s | %13s | %7s / %4s |\n" "-" "-" "$(v browser_ingest_opfs_writes $BR)" "$(v browser_ingest_opfs_flushes $BR)"
echo "(answers are committed 50 per transaction or after 1 s: src/sync/engine.c, \"Groups\")"
H=$B/out/bench-hubd.txt
NG=$(v nginx_rps $H)
echo
echo "| hubd (loopback, 5,000 issues in the db, wrk)                  | value            |"
echo "|---------------------------------------------------------------|------------------|"
printf "| ingest 5,000 issues: hubd (POST /api/sync)                    | %9s it/s   |\n" "$(v ingest_hubd_rate $H)"
printf "| ingest 5,000 issues: CLI (hub sync)                           | %9s it/s   |\n" "$(v ingest_cli_rate $H)"
printf "| /api/cards.json (%s bytes), 20 conn.: nginx, same bytes       | %9s req/s  |\n" "$(v cards_bytes $H)" "$NG"
printf "|   hubd, answer cached 1 s (default) — ratio to nginx          | %9s req/s  %s× |\n" "$(v hubd_cached_rps $H)" "$(ratio "$(v hubd_cached_rps $H)" "$NG")"
printf "|   hubd, uncached (cards_cache_ms = 0) — ratio to nginx        | %9s req/s  %s× |\n" "$(v hubd_uncached_rps $H)" "$(ratio "$(v hubd_uncached_rps $H)" "$NG")"
printf "| p99, 20 conn.: nginx / hubd cached / hubd uncached (ms)       | %s / %s / %s |\n" "$(v nginx_p99_ms $H)" "$(v hubd_cached_p99_ms $H)" "$(v hubd_uncached_p99_ms $H)"
printf "| p99, 1 conn.:  nginx / hubd cached / hubd uncached (ms)       | %s / %s / %s |\n" "$(v nginx_c1_p99_ms $H)" "$(v hubd_cached_c1_p99_ms $H)" "$(v hubd_uncached_c1_p99_ms $H)"
printf "| hubd RSS idle after the ingest (anonymous part)               | %6s kB (%s) |\n" "$(v rss_idle_kb $H)" "$(v rss_idle_anon_kb $H)"
printf "| hubd RSS peak under load: cached / uncached                   | %s / %s kB |\n" "$(v rss_load_cached_kb $H)" "$(v rss_load_uncached_kb $H)"
C=$B/out/bench-cluster.txt
if [ -s $C ]; then
  echo
  echo "| many users: 1,000 users × 3 jobs, PostgreSQL, 2 workers/node | 1 node | 2 nodes | 3 nodes |"
  echo "|--------------------------------------------------------------|--------|---------|---------|"
  printf "| jobs drained per second                                      | %6s | %7s | %7s |\n" "$(v drain_1_rate $C)" "$(v drain_2_rate $C)" "$(v drain_3_rate $C)"
  printf "| CPU seconds: hubd nodes / PostgreSQL                         | %s/%s | %s/%s | %s/%s |\n" "$(v drain_1_nodes_cpu $C)" "$(v drain_1_pg_cpu $C)" "$(v drain_2_nodes_cpu $C)" "$(v drain_2_pg_cpu $C)" "$(v drain_3_nodes_cpu $C)" "$(v drain_3_pg_cpu $C)"
  printf "| mean ms per job: ingest / repos / foryou                     | %s/%s/%s | %s/%s/%s | %s/%s/%s |\n" "$(v drain_1_ingest_avg $C)" "$(v drain_1_repos_avg $C)" "$(v drain_1_foryou_avg $C)" "$(v drain_2_ingest_avg $C)" "$(v drain_2_repos_avg $C)" "$(v drain_2_foryou_avg $C)" "$(v drain_3_ingest_avg $C)" "$(v drain_3_repos_avg $C)" "$(v drain_3_foryou_avg $C)"
  echo
  echo "| GET /users/{u}/data, wrk 2 threads 16 conn. | p50 ms | p99 ms | req/s |"
  echo "|---------------------------------------------|--------|--------|-------|"
  for k in idle_hot idle_all load_all; do
    printf "| %-43s | %6s | %6s | %5s |\n" "$k" "$(v data_${k}_p50 $C)" "$(v data_${k}_p99 $C)" "$(v data_${k}_rps $C)"
  done
  grep -E '^(conns_|image_bytes|pg_database|machine_)' $C
fi
echo
echo "| one tip (d=25, 200 candidates; CPU time; decisions and tip + feedback: fastest of 7 blocks) | native        | wasm (node)   | wasm/native |"
echo "|--------------------------------------------|---------------|---------------|-------------|"
for P in linucb linucb_d16 egreedy thompson score_greedy random seed_linucb; do
  DN=$(v decision_only_us_$P $B/out/bandit-native.txt); DW=$(v decision_only_us_$P $B/out/bandit-wasm.txt)
  printf "| µs per decision (goal ≤ 10): %-13s | %13s | %13s | %11s |\n" "$P" "$DN" "$DW" "$(ratio "$DW" "$DN")"
done
DN=$(v nz_of_us $B/out/bandit-native.txt); DW=$(v nz_of_us $B/out/bandit-wasm.txt)
printf "| µs per tip finding the nonzero features     | %13s | %13s | %11s |\n" "$DN" "$DW" "$(ratio "$DW" "$DN")"
for P in linucb egreedy thompson; do
  DN=$(v decision_us_$P $B/out/bandit-native.txt); DW=$(v decision_us_$P $B/out/bandit-wasm.txt)
  printf "| µs per decision + update: %-16s | %13s | %13s | %11s |\n" "$P" "$DN" "$DW" "$(ratio "$DW" "$DN")"
done
TN=$(v tip_call_us $B/out/bandit-native.txt); TW=$(v tip_call_us $B/out/bandit-wasm.txt)
printf "| µs per tip + feedback through hub_call     | %13s | %13s | %11s |\n" "$TN" "$TW" "$(ratio "$TW" "$TN")"
printf "|   of it the tip (all six policies)         | %13s | %13s | %11s |\n" "$(v tip_call_tip_us $B/out/bandit-native.txt)" "$(v tip_call_tip_us $B/out/bandit-wasm.txt)" ""
printf "|   of it the feedback                       | %13s | %13s | %11s |\n" "$(v tip_call_feedback_us $B/out/bandit-native.txt)" "$(v tip_call_feedback_us $B/out/bandit-wasm.txt)" ""
echo "(goals: tip + feedback ≤ 200 µs native, ≤ 2× that in wasm)"
printf "| simulator family, native (s; work units/s) | %13s | %13s |             |\n" \
  "$(v family_seconds $B/out/bandit-native.txt)" "$(v sim_units_per_second $B/out/bandit-native.txt)"
echo
sed -n '/^simulator family/,$p' $B/out/bandit-native.txt
echo
# module size: what a browser downloads, raw and as a server would compress it
raw() { stat -c %s "$1"; }
gz() { gzip -9 -n -c "$1" | wc -c; }
br() { if command -v brotli >/dev/null 2>&1; then brotli -q 11 -c "$1" | wc -c; else echo "-"; fi; }
GZ=$(gz $B/wasm/hub.wasm)
echo "| wasm module      | raw bytes | gzip -9 bytes | brotli -q 11 bytes |"
echo "|------------------|-----------|---------------|--------------------|"
printf "| hub.wasm         | %9s | %13s | %18s |\n" "$(raw $B/wasm/hub.wasm)" "$GZ" "$(br $B/wasm/hub.wasm)"
printf "| hub.mjs (glue)   | %9s | %13s | %18s |\n" "$(raw $B/wasm/hub.mjs)" "$(gz $B/wasm/hub.mjs)" "$(br $B/wasm/hub.mjs)"
if [ -f $B/web/hub.wasm.gz ] && [ -f $B/web/hub.wasm.br ]; then
  printf "| served by hubd   | (build/web: hub.wasm.gz %s bytes, hub.wasm.br %s bytes, precompressed) |\n" \
    "$(raw $B/web/hub.wasm.gz)" "$(raw $B/web/hub.wasm.br)"
fi
if [ "$GZ" -le 300000 ]; then echo "hub.wasm gzip -9: $GZ bytes, within the 300 KB goal"; else echo "hub.wasm gzip -9: $GZ bytes, OVER the 300 KB goal"; fi
echo
# what each route of issue 9 item 8 saved, measured one after the other (tests/wasm_routes.txt)
echo "| hub.wasm, route by route (recorded)                                         | raw bytes | gzip -9 | brotli -q 11 | gzip -9 saved    |"
echo "|-----------------------------------------------------------------------------|-----------|---------|--------------|------------------|"
# "saved" is against the last kept row before it; a dropped route's row says what it would have done
awk -F'\t' '!/^#/ && NF >= 5 { d = prev ? prev - $3 : "-"; if ($5 == "dropped") d = d " (dropped)"
  printf "| %-75s | %9s | %7s | %12s | %16s |\n", $1, $2, $3, $4, d; if ($5 == "kept") prev = $3 }' tests/wasm_routes.txt
echo
echo "hub.wasm by origin (this build; tests/wasm_size.sh):"
sh tests/wasm_size.sh $B
