#!/bin/sh
# bench_hubd.sh — hubd's figures for `make bench` (run by tests/run_bench.sh; not a test), on
# loopback with the 5,000-issue scenario (tests/bench_scenario.mjs) in the database:
#   ingest   the scenario synced through hubd (POST /api/sync) and through the CLI (hub sync)
#   cards    GET /api/cards.json with wrk: requests/s and p99, hubd with its 1 s answer cache and
#            without (cards_cache_ms = 0), against nginx serving the same bytes as a file; with
#            20 connections on 2 threads (throughput) and with 1 connection (latency)
#   memory   hubd's resident set (VmRSS) idle, and its peak while wrk runs
# Prints "name value unit" lines. BENCH_SECONDS sets each wrk run's length (10).
set -u
B=build
W=$B/out/bench-hubd
DUR=${BENCH_SECONDS:-10}
KEY=bench-key-0123456789abcdef
AUTH="Authorization: Bearer $KEY"
rm -rf $W && mkdir -p $W/www/api $W/nginx
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done' EXIT INT TERM
wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; [ -s "$1" ]; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
rss_kb() { awk '/^VmRSS/ {print $2}' /proc/$1/status; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
# wrk_run NAME URL [HEADER]: (C connections, 20 by default) requests/s and p99 (ms) into NAME.rps / NAME.p99; samples the RSS of
# $SAMPLE (when set) meanwhile, its peak into NAME.rss
wrk_run() {
  n=$1; u=$2; shift 2
  peak=0
  c=${C:-20}; t=2; [ "$c" = 1 ] && t=1
  wrk -t$t -c$c -d"${DUR}s" --latency "$@" "$u" > $W/$n.wrk 2>&1 &
  wp=$!
  while kill -0 $wp 2>/dev/null; do
    if [ -n "${SAMPLE:-}" ]; then r=$(rss_kb $SAMPLE); [ "${r:-0}" -gt $peak ] && peak=$r; fi
    sleep 0.2
  done
  wait $wp
  awk '/^Requests\/sec:/ {print $2}' $W/$n.wrk > $W/$n.rps
  awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) sub(/ms$/,"",v); else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f\n", v}' $W/$n.wrk > $W/$n.p99
  echo $peak > $W/$n.rss
  grep -q "Non-2xx" $W/$n.wrk && echo "bench_hubd: $n had non-2xx answers" >&2
}
start_hubd() { # start_hubd LOG ENV…: hubd on $W/hubd.db with every scheduled job off
  log=$1; shift
  rm -f $W/port
  env HUBD_API_KEY=$KEY HUB_GITHUB_API=$API GITHUB_TOKEN=bench HUBD_SCHEDULE_INGEST=off HUBD_SCHEDULE_GFI=off \
    HUBD_SCHEDULE_DIAGNOSTICS=off HUBD_SCHEDULE_CLEANUP=off "$@" \
    $B/hubd --listen 127.0.0.1:0 --port-file $W/port --db $W/hubd.db --root $B/web --log-level warn 2> $log &
  HP=$!; PIDS="$PIDS $HP"
  wait_file $W/port || { echo "bench_hubd: hubd did not start"; cat $log; exit 1; }
  BASE=http://127.0.0.1:$(cat $W/port)
}

node tests/bench_scenario.mjs $W/scen 50 > $W/settings.json
$B/fake_upstream --dir $W/scen --port 0 --port-file $W/fport > $W/fake.log 2>&1 &
PIDS="$PIDS $!"
wait_file $W/fport || { echo "bench_hubd: the fake upstream did not start"; exit 1; }
API=http://127.0.0.1:$(cat $W/fport)

# ---- ingest: the CLI, then hubd ------------------------------------------------------------
HUB_DB=$W/cli.db $B/hub settings "$(cat $W/settings.json)" > /dev/null
t0=$(date +%s%N)
HUB_DB=$W/cli.db HUB_GITHUB_API=$API GITHUB_TOKEN=bench $B/hub sync > /dev/null 2>&1
CLI_MS=$(ms_since $t0)
curl -s -X POST $API/_fake/reset > /dev/null
HUB_DB=$W/hubd.db $B/hub settings "$(cat $W/settings.json)" > /dev/null
start_hubd $W/hubd.log
t0=$(date +%s%N)
curl -s -X POST -H "$AUTH" $BASE/api/sync > $W/sync.json
HUBD_MS=$(ms_since $t0)
N=$(curl -s -H "$AUTH" $BASE/api/stats.json | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log(JSON.parse(d).stats.tracked))')
echo "ingest_items $N count"
echo "ingest_cli_rate $(( N * 1000 / (CLI_MS > 0 ? CLI_MS : 1) )) items/s"
echo "ingest_hubd_rate $(( N * 1000 / (HUBD_MS > 0 ? HUBD_MS : 1) )) items/s"
echo "ingest_cli_ms $CLI_MS ms"
echo "ingest_hubd_ms $HUBD_MS ms"

# ---- /api/cards.json: hubd cached, nginx, hubd uncached ---------------------------------------
sleep 1
echo "rss_idle_kb $(rss_kb $HP) kB"
echo "rss_idle_anon_kb $(awk '/^RssAnon/ {print $2}' /proc/$HP/status) kB"
curl -s -H "$AUTH" -o $W/www/api/cards.json $BASE/api/cards.json
echo "cards_bytes $(stat -c %s $W/www/api/cards.json) bytes"
SAMPLE=$HP wrk_run hubd_cached $BASE/api/cards.json -H "$AUTH"
C=1 SAMPLE= wrk_run hubd_cached_c1 $BASE/api/cards.json -H "$AUTH"
NPORT=$(free_port)
cat > $W/nginx/nginx.conf <<EOF
worker_processes 2;
daemon off;
pid $PWD/$W/nginx/nginx.pid;
error_log $PWD/$W/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $PWD/$W/nginx/body;
  proxy_temp_path $PWD/$W/nginx/proxy;
  fastcgi_temp_path $PWD/$W/nginx/fastcgi;
  uwsgi_temp_path $PWD/$W/nginx/uwsgi;
  scgi_temp_path $PWD/$W/nginx/scgi;
  server {
    listen 127.0.0.1:$NPORT;
    root $PWD/$W/www;
    location / { default_type application/json; }
  }
}
EOF
nginx -e $PWD/$W/nginx/error.log -c $PWD/$W/nginx/nginx.conf -p $PWD/$W/nginx > $W/nginx/out.log 2>&1 &
NGINX=$!; PIDS="$PIDS $NGINX"
i=0; while ! curl -s -o /dev/null http://127.0.0.1:$NPORT/api/cards.json && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
curl -s -o $W/nginx.body http://127.0.0.1:$NPORT/api/cards.json
cmp -s $W/nginx.body $W/www/api/cards.json || echo "bench_hubd: nginx does not serve the same bytes" >&2
SAMPLE= wrk_run nginx http://127.0.0.1:$NPORT/api/cards.json
C=1 SAMPLE= wrk_run nginx_c1 http://127.0.0.1:$NPORT/api/cards.json
kill $NGINX; wait $NGINX 2>/dev/null
kill -TERM $HP; wait $HP 2>/dev/null
start_hubd $W/hubd2.log HUBD_CARDS_CACHE_MS=0
sleep 1
SAMPLE=$HP wrk_run hubd_uncached $BASE/api/cards.json -H "$AUTH"
C=1 SAMPLE= wrk_run hubd_uncached_c1 $BASE/api/cards.json -H "$AUTH"
kill -TERM $HP; wait $HP 2>/dev/null
for n in hubd_cached hubd_uncached nginx hubd_cached_c1 hubd_uncached_c1 nginx_c1; do
  echo "${n}_rps $(cat $W/$n.rps) req/s"
  echo "${n}_p99_ms $(cat $W/$n.p99) ms"
done
echo "rss_load_cached_kb $(cat $W/hubd_cached.rss) kB"
echo "rss_load_uncached_kb $(cat $W/hubd_uncached.rss) kB"
