#!/bin/sh
# run_demo.sh — `make run`: serves the PWA (build/web) on 127.0.0.1 with a fake GitHub beside
# it that replays the recorded demo account, so hub shows cards with no token. Prints the URL
# and runs until Ctrl-C. HUB_PORT picks the app's port (default: a free one).
set -u
B=build
W=$B/run
rm -rf $W && mkdir -p $W
cp -r $B/web $W/www
$B/fake_upstream --dir tests/exchanges/demo --dir tests/exchanges/gfi --fresh --port 0 --port-file $W/api-port > $W/fake.log 2>&1 &
FAKE=$!
i=0; while [ ! -s $W/api-port ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
API=http://127.0.0.1:$(cat $W/api-port)
# first-visit defaults for the page: the demo upstream, a placeholder token it accepts, and a
# small awesome-for-beginners list (recorded) so good-first issues show up too
printf '{"github_api":"%s","github_token":"demo-token","demo":true,"settings":{"gfi_awesome_url":"%s/hub-tests/awesome-small/main/data.json"}}\n' "$API" "$API" > $W/www/config.json
$B/hub-serve --root $W/www --port "${HUB_PORT:-0}" --port-file $W/port > $W/serve.log 2>&1 &
SERVE=$!
trap 'kill $FAKE $SERVE 2>/dev/null; exit 0' INT TERM
trap 'kill $FAKE $SERVE 2>/dev/null' EXIT
i=0; while [ ! -s $W/port ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -s $W/port ] || { echo "hub: the static server did not start:"; cat $W/serve.log; exit 1; }
echo
echo "  hub is running:      http://127.0.0.1:$(cat $W/port)/"
echo "  demo GitHub API:     $API  (recorded traffic, no token needed)"
echo
echo "  Open the URL and press Refresh. The CLI works against the same demo:"
echo "    HUB_DB=$W/hub.db HUB_GITHUB_API=$API GITHUB_TOKEN=demo $B/hub sync && HUB_DB=$W/hub.db $B/hub top"
echo "  Ctrl-C stops both servers."
wait $SERVE
