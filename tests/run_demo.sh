#!/bin/sh
# run_demo.sh — `make run`: starts the fake upstream on 127.0.0.1 replaying the recorded demo
# account (no token needed), syncs the `hub` CLI against it, prints the cards, and keeps the
# upstream running so you can try the CLI yourself. Ctrl-C stops it.
set -u
B=build
W=$B/run
mkdir -p $W
rm -f $W/port $W/hub.db*
$B/fake_upstream --dir tests/exchanges/demo --port 0 --port-file $W/port > $W/fake.log 2>&1 &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; exit 0' INT TERM
trap 'kill $FAKE 2>/dev/null' EXIT
i=0; while [ ! -s $W/port ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
BASE=http://127.0.0.1:$(cat $W/port)
export HUB_DB=$W/hub.db HUB_GITHUB_API=$BASE GITHUB_TOKEN=demo
echo "hub: syncing the recorded demo account from the fake GitHub at $BASE"
$B/hub sync > $W/run.json || exit 1
$B/hub top 20
echo
echo "Demo GitHub API: $BASE"
echo "Try:  HUB_DB=$W/hub.db $B/hub cards | less      HUB_DB=$W/hub.db $B/hub stats"
echo "Ctrl-C to stop."
wait $FAKE
