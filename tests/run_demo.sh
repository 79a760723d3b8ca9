#!/bin/sh
# run_demo.sh — `make run`: hubd on 127.0.0.1 serving the PWA (a copy of build/web) and its API.
# Without GITHUB_TOKEN, a fake GitHub beside it replays the recorded demo account (no token, no
# network): the page's first-visit defaults (config.json) point at it, and hubd's scheduled
# ingest reads it too. With GITHUB_TOKEN set, hubd ingests from the real GitHub (HUB_GITHUB_API
# to use another server), no fake upstream is started and the page gets no demo defaults.
# Prints the URL and the API key; Ctrl-C stops everything. HUB_PORT picks the port (default: a
# free one); HUBD_API_KEY the key (default: a random one).
set -u
B=build
W=$B/run
rm -rf $W && mkdir -p $W
cp -r $B/web $W/www
KEY=${HUBD_API_KEY:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}
FAKE=
HUBD=
stop() {
  trap - INT TERM EXIT
  [ -n "$HUBD" ] && kill -TERM $HUBD 2>/dev/null
  [ -n "$FAKE" ] && kill -TERM $FAKE 2>/dev/null
  wait 2>/dev/null
  echo
  echo "  hub stopped ($W/hubd.log has hubd's log)."
  exit 0
}
trap stop INT TERM
trap 'kill $HUBD $FAKE 2>/dev/null' EXIT
wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; [ -s "$1" ]; }

if [ -z "${GITHUB_TOKEN:-}" ]; then
  $B/fake_upstream --dir tests/exchanges/demo --dir tests/exchanges/gfi --fresh --port 0 --port-file $W/api-port \
    > $W/fake.log 2>&1 &
  FAKE=$!
  wait_file $W/api-port || { echo "hub: the demo upstream did not start:"; cat $W/fake.log; exit 1; }
  API=http://127.0.0.1:$(cat $W/api-port)
  LIST=$API/hub-tests/awesome-small/main/data.json
  # first-visit defaults for the page: the demo upstream, a placeholder token it accepts, and a
  # small awesome-for-beginners list (recorded) so good-first issues show up too
  printf '{"github_api":"%s","github_token":"demo-token","demo":true,"settings":{"gfi_awesome_url":"%s"}}\n' \
    "$API" "$LIST" > $W/www/config.json
  # hubd's own database reads the same list
  HUB_DB=$W/hub.db $B/hub settings "{\"gfi_awesome_url\":\"$LIST\"}" > /dev/null
  export HUB_GITHUB_API=$API GITHUB_TOKEN=demo-token
  FROM="the demo GitHub at $API (recorded traffic, no token needed)"
else
  FROM="${HUB_GITHUB_API:-https://api.github.com} with your GITHUB_TOKEN"
fi

HUBD_API_KEY=$KEY $B/hubd --listen "127.0.0.1:${HUB_PORT:-0}" --port-file $W/port --db $W/hub.db --root $W/www \
  2> $W/hubd.log &
HUBD=$!
wait_file $W/port || { echo "hub: hubd did not start:"; cat $W/hubd.log; exit 1; }
URL=http://127.0.0.1:$(cat $W/port)
echo
echo "  hub is running:  $URL/      (hubd: the app, its API and the scheduled ingest)"
echo "  hubd ingests:    $FROM"
echo "  API key:         $KEY"
echo
echo "  Open the URL and press Refresh. hubd's own data and jobs:"
echo "    curl -H 'Authorization: Bearer $KEY' $URL/api/cards.json"
echo "    curl -H 'Authorization: Bearer $KEY' $URL/api/jobs"
echo "  hubd's log: $W/hubd.log.  Ctrl-C stops everything."
wait $HUBD
stop
