#!/bin/sh
# run_cluster.sh — `make run-cluster`: a throwaway PostgreSQL on 127.0.0.1 (tests/pg_cluster.sh,
# under build/run-cluster) and three hubd nodes sharing it, each on its own loopback port. Without
# GITHUB_TOKEN a fake GitHub beside them serves 20 generated users (u001 … u020) and the recorded
# demo (no network); with it, the nodes read the real GitHub (HUB_GITHUB_API for another server).
# Prints the nodes' URLs, the operator's key and a few requests to try; Ctrl-C stops everything
# and removes the database. HUBD_API_KEY picks the key (default: a random one).
set -u
B=build
W=$B/run-cluster
PGDIR=$W/pg
rm -rf "$W" && mkdir -p "$W"
KEY=${HUBD_API_KEY:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}
PIDS=""
stop() {
  trap - INT TERM EXIT
  for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
  wait 2>/dev/null
  sh tests/pg_cluster.sh stop "$PGDIR"
  echo
  echo "  cluster stopped (the nodes' logs: $W/node*.log)."
  exit 0
}
trap stop INT TERM
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; sh tests/pg_cluster.sh stop "$PGDIR"' EXIT
wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; [ -s "$1" ]; }

URL=$(sh tests/pg_cluster.sh start "$PGDIR") || { echo "run-cluster: PostgreSQL did not start"; exit 1; }
if [ -z "${GITHUB_TOKEN:-}" ]; then
  node tests/gen_users_upstream.mjs "$W/up" 20 > /dev/null
  $B/fake_upstream --dir "$W/up" --dir tests/exchanges/demo --port 0 --port-file "$W/api-port" > "$W/fake.log" 2>&1 &
  PIDS="$PIDS $!"
  wait_file "$W/api-port" || { echo "run-cluster: the fake upstream did not start"; cat "$W/fake.log"; exit 1; }
  export HUB_GITHUB_API=http://127.0.0.1:$(cat "$W/api-port")
  FROM="a fake GitHub at $HUB_GITHUB_API (20 generated users u001..u020, and octocat)"
else
  FROM="${HUB_GITHUB_API:-https://api.github.com} with your GITHUB_TOKEN"
fi
cp -r $B/web "$W/www"
for n in 1 2 3; do
  HUBD_API_KEY=$KEY HUBD_DATABASE_URL=$URL HUBD_NODE_ID=node$n $B/hubd --listen 127.0.0.1:0 \
    --port-file "$W/node$n.port" --db "$W/node$n.db" --root "$W/www" 2> "$W/node$n.log" &
  PIDS="$PIDS $!"
done
for n in 1 2 3; do
  wait_file "$W/node$n.port" || { echo "run-cluster: node $n did not start:"; cat "$W/node$n.log"; exit 1; }
done
N1=http://127.0.0.1:$(cat "$W/node1.port")
echo
echo "  three hubd nodes share one PostgreSQL ($URL):"
for n in 1 2 3; do echo "    node$n  http://127.0.0.1:$(cat "$W/node$n.port")/"; done
echo "  they read:       $FROM"
echo "  operator key:    $KEY"
echo
echo "  Try (any node answers for any user; the jobs run wherever a worker is free):"
echo "    curl -X POST -H 'Authorization: Bearer $KEY' $N1/users/u001/login      # prints u001's own key"
echo "    curl -H 'Authorization: Bearer $KEY' http://127.0.0.1:$(cat "$W/node2.port")/users/u001/progress"
echo "    curl -H 'Authorization: Bearer $KEY' http://127.0.0.1:$(cat "$W/node3.port")/users/u001/data"
echo "    curl -H 'Authorization: Bearer $KEY' '$N1/for-you/u001?limit=5'"
echo "    psql $URL -c 'SELECT node, count(*) FROM hub_job_runs GROUP BY 1'"
echo "  Logs: $W/node*.log.  Ctrl-C stops everything (and removes the database)."
wait
stop
