#!/bin/sh
# bench_cluster.sh — multi-user hubd's figures for `make bench` (run by tests/run_bench.sh; not a
# test), on loopback: a throwaway PostgreSQL with its default durability (fsync on), the fake
# upstream serving 1,000 generated users, release-build nodes (2 workers, 4 HTTP connections each).
#   drain    1,000 users' 3,000 jobs (ingest: the core's sync into the user's SQLite image and the
#            image written back; repos: repositories + highlights; foryou: candidates) drained by 1,
#            2 and 3 nodes; the users are made first by an API-only node (workers 0), then the
#            worker nodes start. jobs/s = 3,000 / (last job's end − first job's start), from
#            hub_job_runs.
#   data     GET /users/{u}/data with wrk (2 threads, 16 connections, BENCH_SECONDS) on one node:
#            p50/p99 and requests/s, over 20 users (their images stay in the node's cache) and over
#            all 1,000 (mostly fetched from PostgreSQL and opened), idle and while 3 nodes drain
#            the jobs of a restart of every user
#   conns    PostgreSQL connections per node (pg_stat_activity by application_name) under load
# Prints "name value unit" lines. BENCH_USERS (1000) and BENCH_SECONDS (10) change the sizes.
set -u
B=build
W=$B/out/bench-cluster
N=${BENCH_USERS:-1000}
DUR=${BENCH_SECONDS:-10}
KEY=bench-key-0123456789abcdef
rm -rf $W && mkdir -p $W
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; sh tests/pg_cluster.sh stop $W/pg' EXIT INT TERM HUP PIPE
wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; [ -s "$1" ]; }

URL=$(sh tests/pg_cluster.sh start $W/pg); rc=$?
if [ $rc = 77 ]; then echo "bench_cluster: skipped, PostgreSQL's server is not installed" >&2; exit 0; fi
[ $rc = 0 ] || { echo "bench_cluster: PostgreSQL did not start" >&2; exit 1; }
q() { psql -X -q -At "$URL" -c "$1"; }
node tests/gen_users_upstream.mjs $W/up "$N" > /dev/null
$B/fake_upstream --dir $W/up --port 0 --port-file $W/fport > $W/fake.log 2>&1 &
PIDS="$PIDS $!"
wait_file $W/fport || { echo "bench_cluster: no fake upstream" >&2; exit 1; }
API=http://127.0.0.1:$(cat $W/fport)

# node NAME WORKERS: starts a release node; its pid in $NPID, its URL in $NURL
node_start() {
  rm -f $W/$1.port
  HUBD_API_KEY=$KEY HUB_GITHUB_API=$API HUBD_DATABASE_URL=$URL HUBD_NODE_ID=$1 HUBD_WORKERS=$2 HUBD_PG_POOL=4 \
    HUBD_POLL_MS=60000 HUBD_LOG_LEVEL=${BENCH_LOG:-warn} $B/hubd --listen 127.0.0.1:0 --port-file $W/$1.port --db $W/$1.db \
    --root $B/web 2>> $W/$1.log &
  NPID=$!; PIDS="$PIDS $NPID"
  wait_file $W/$1.port || { echo "bench_cluster: node $1 did not start" >&2; exit 1; }
  NURL=http://127.0.0.1:$(cat $W/$1.port)
}
# users: made through an API-only node, so no job runs before the worker nodes start
make_users() {
  node_start api 0
  api=$NPID
  i=1
  while [ $i -le "$N" ]; do
    printf 'url = "%s/ghost-users/u%03d"\n' "$NURL" $i
    i=$((i + 1))
  done > $W/users.curl
  # ghosts get ingest + repos; logins add the foryou job: every user gets all three
  curl -s -S -X POST -H "Authorization: Bearer $KEY" --no-progress-meter --parallel --parallel-max 8 -K $W/users.curl > /dev/null
  sed 's|/ghost-users/\(u[0-9]*\)"|/users/\1/login"|' $W/users.curl > $W/login.curl
  curl -s -S -X POST -H "Authorization: Bearer $KEY" --no-progress-meter --parallel --parallel-max 8 -K $W/login.curl > /dev/null
  kill $api; wait $api 2>/dev/null
}
# cpu_s PID: user + system CPU seconds of a process and its reaped children (PostgreSQL's backends
# are children of the postmaster: its cutime/cstime hold the ones that ended)
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15 + $16 + $17) / t}' /proc/$1/stat; }
pg_cpu() {
  pd=$W/pg; [ -f $W/pg/place ] && pd=$(cat $W/pg/place)
  pm=$(head -n 1 $pd/data/postmaster.pid)
  { cpu_s "$pm"; for c in $(ps -o pid= --ppid "$pm"); do printf ' '; cpu_s "$c" 2>/dev/null; done; echo; } |
    awk '{s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.2f", s}'
}
reset_db() {
  q "DROP TABLE IF EXISTS hub_schema, hub_users, hub_user_state, hub_jobs, hub_job_runs, hub_cluster, hub_repos, hub_foryou, hub_exposures, hub_gallery CASCADE" > /dev/null
  rm -rf $W/*.db $W/*.db.users
}
# drain K: K worker nodes drain every job; prints jobs/s
drain() {
  k=$1
  reset_db
  make_users
  total=$(q "SELECT count(*) FROM hub_jobs")
  NODES=""
  pg0=$(pg_cpu)
  j=1
  while [ $j -le "$k" ]; do node_start w$j 2; NODES="$NODES $NPID"; j=$((j + 1)); done
  i=0
  while [ "$(q "SELECT count(*) FROM hub_jobs WHERE runs = 0")" != 0 ] && [ $i -lt 3000 ]; do sleep 0.2; i=$((i + 1)); done
  span=$(q "SELECT max(ended_at) - min(started_at) FROM hub_job_runs")
  done_=$(q "SELECT count(*) FROM hub_job_runs")
  ncpu=0
  for p in $NODES; do ncpu=$(awk -v a=$ncpu -v b="$(cpu_s $p)" 'BEGIN {printf "%.2f", a + b}'); done
  echo "drain_${k}_jobs $done_ of $total"
  echo "drain_${k}_ms $span ms"
  awk -v n="$done_" -v ms="$span" 'BEGIN { printf "drain_'"$k"'_rate %.1f jobs/s\n", n * 1000 / ms }'
  echo "drain_${k}_nodes_cpu $ncpu s"
  echo "drain_${k}_pg_cpu $(awk -v a="$pg0" -v b="$(pg_cpu)" 'BEGIN {printf "%.2f", b - a}') s"
  q "SELECT kind, round(avg(ended_at - started_at)) FROM hub_job_runs GROUP BY 1 ORDER BY 1" |
    awk -F'|' -v k=$k '{printf "drain_%s_%s_avg %s ms\n", k, $1, $2}'
  for p in $NODES; do kill $p; wait $p 2>/dev/null; done
}
# wrk_data NAME USERS URL: wrk over /users/uNNN/data for the first USERS users
wrk_data() {
  cat > $W/data.lua <<EOF
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", string.format("/users/u%03d/data", (n * 7919) % $2 + 1))
end
EOF
  wrk -t2 -c16 -d"${DUR}s" --latency -s $W/data.lua -H "Authorization: Bearer $KEY" "$3" > $W/$1.wrk 2>&1
  awk -v n="$1" '/^Requests\/sec:/ {printf "%s_rps %s req/s\n", n, $2}
    $1=="50%" || $1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) sub(/ms$/,"",v); else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; k=$1=="50%"?"p50":"p99"; printf "%s_%s %.2f ms\n", n, k, v}' $W/$1.wrk
  grep -q "Non-2xx" $W/$1.wrk && echo "$1_non2xx $(awk '/Non-2xx/ {print $4}' $W/$1.wrk) answers" || true
}

drain 1
drain 2
drain 3

# /users/{u}/data: the state after the 3-node drain; three nodes again, one of them measured
NODES=""
for j in 1 2 3; do node_start d$j 2; NODES="$NODES $NPID"; [ $j = 1 ] && D1=$NURL; done
wrk_data data_idle_hot 20 "$D1"
wrk_data data_idle_all "$N" "$D1"
# load: every user restarted (3,000 jobs) while wrk reads
i=1
while [ $i -le "$N" ]; do printf 'url = "%s/users/u%03d/restart"\n' "$D1" $i; i=$((i + 1)); done > $W/restart.curl
curl -s -S -X POST -H "Authorization: Bearer $KEY" --no-progress-meter --parallel --parallel-max 8 -K $W/restart.curl > /dev/null
wrk_data data_load_all "$N" "$D1" &
WP=$!
sleep $((DUR / 2))
q "SELECT split_part(application_name, ':', 2) AS node, count(*) FROM pg_stat_activity WHERE application_name LIKE 'hubd:%' GROUP BY 1 ORDER BY 1" > $W/conns.txt
wait $WP
echo "load_jobs_done_during_wrk $(q "SELECT count(*) FROM hub_job_runs WHERE started_at > (SELECT max(ended_at) FROM hub_job_runs) - ${DUR}000") jobs"
awk -F'|' '{printf "conns_%s %s connections\n", $1, $2}' $W/conns.txt
for p in $NODES; do kill $p; wait $p 2>/dev/null; done
echo "image_bytes_avg $(q "SELECT avg(bytes)::bigint FROM hub_user_state") bytes"
echo "pg_database_size $(q "SELECT pg_database_size('hub') / 1048576") MiB"
echo "machine_cores $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine)"
