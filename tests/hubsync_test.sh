#!/bin/sh
# hubsync_test.sh — a device's database syncing with hubd (issue 13 item 4), end to end: hubd
# (ASan build) on a random 127.0.0.1 port against the fake upstream replaying the demo account
# and the outbox answers, and the `hub` CLI (ASan build) on a second database acting as the page
# (hubd_url and hubd_key set: its syncs go to hubd alone).
# usage: hubsync_test.sh WORKDIR        (run from the repository root, after make)
# Checks: the device pulls hubd's cards (same keys, same order); GET/POST /api/changes need the
# key, refuse a malformed cursor or body, CORS preflight for a listed origin; a done on the
# device reaches hubd, which tells GitHub exactly once; hubd's own triage reaches the device;
# a wrong key stops the device's run as token_rejected; hubd stopped → the device's run ends
# "offline" at once and the device still works; hubd restarted → the done made meanwhile
# arrives and both databases hold the same triage state and stamps; ASan quiet.
set -u
W=$1
HUBD=${HUBD_BIN:-build/asan/hubd}
HUB=${HUB_BIN:-build/asan/hub}
. tests/checks.sh
req() { n=$1; shift; ST=$(curl -s --max-time 10 -D "$W/h.$n" -o "$W/b.$n" -w '%{http_code}' "$@"); }
hdr() { grep -i "^$2:" "$W/h.$1" | head -n 1 | cut -d: -f2- | sed 's/^ //; s/\r$//'; }
wait_for() { i=0; while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; grep -q "$2" "$1"; }
gone() { i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; ! kill -0 "$1" 2>/dev/null; }
# the triage state and stamp of every item, one line each (the same query on both databases)
state() { sqlite3 "$1" "SELECT i.key, t.read, t.done_at, t.snoozed_until, t.saved, t.muted, t.dismissed, s.at, s.origin, s.ctr FROM items i LEFT JOIN triage t ON t.item_id = i.id LEFT JOIN replica_stamps s ON s.item_id = i.id ORDER BY i.key"; }
# calls to the fake GitHub with this method and path
upstream_calls() { curl -s "$API/_fake/stats" | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{const s=JSON.parse(d);console.log(s.log.filter(e=>e.method===process.argv[1]&&e.path===process.argv[2]).length)})' "$1" "$2"; }

rm -rf "$W" && mkdir -p "$W"
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done' EXIT INT TERM
export HUBD_SCHEDULE_INGEST=off HUBD_SCHEDULE_GFI=off

build/fake_upstream --dir tests/exchanges/demo --dir tests/exchanges/outbox --port 0 --port-file "$W/fport" > "$W/fake.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$W/fport" . || { echo "FAIL the fake upstream did not start"; echo "0 passed, 1 failed"; exit 1; }
API=http://127.0.0.1:$(cat "$W/fport")
KEY=k3y-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
AUTH="Authorization: Bearer $KEY"
HDB=$W/hubd.db
DEV=$W/device.db

start_hubd() { # start_hubd LOG: hubd on $HDB, sets HPID and BASE
  rm -f "$W/port"
  HUBD_API_KEY=$KEY GITHUB_TOKEN=test-token HUB_GITHUB_API=$API HUBD_CORS_ORIGINS=https://page.example \
    "$HUBD" --listen 127.0.0.1:0 --port-file "$W/port" --db "$HDB" --root web 2> "$1" &
  HPID=$!; PIDS="$PIDS $HPID"
  wait_for "$W/port" . || { echo "FAIL hubd did not start: $(cat "$1")"; return 1; }
  BASE=http://127.0.0.1:$(cat "$W/port")
}
dev() { HUB_DB=$DEV "$HUB" "$@"; }
follow() { dev settings "{\"hubd_url\":\"$BASE\",\"hubd_key\":\"$1\"}" > /dev/null; }

start_hubd "$W/hubd.log" || { echo "$P passed, $((F + 1)) failed"; exit 1; }
req sync -X POST -H "$AUTH" "$BASE/api/sync"
check '[ "$ST" = 200 ] && [ "$(jget run.status < "$W/b.sync")" = ok ]' "hubd ingests the demo ($ST)"

# ---- the routes ------------------------------------------------------------------------------------
req nokey "$BASE/api/changes"
check '[ "$ST" = 401 ]' "GET /api/changes without the key → 401 ($ST)"
req pull -H "$AUTH" "$BASE/api/changes?limit=3"
check '[ "$ST" = 200 ] && [ "$(jget changes.length < "$W/b.pull")" = 3 ] && [ "$(jget more < "$W/b.pull")" = true ] && jget next < "$W/b.pull" | grep -q "^r1\."' "GET /api/changes?limit=3: a page of 3 and a cursor ($ST)"
req pull2 -H "$AUTH" "$BASE/api/changes?since=$(jget next < "$W/b.pull")"
check '[ "$ST" = 200 ] && [ "$(jget more < "$W/b.pull2")" = false ] && [ "$(jget reset < "$W/b.pull2")" = false ]' "… the rest from its cursor ($ST)"
req badcur -H "$AUTH" "$BASE/api/changes?since=nope"
check '[ "$ST" = 400 ] && [ "$(jget error.field < "$W/b.badcur")" = since ]' "a malformed cursor → 400 ($ST)"
req badpush -X POST -H "$AUTH" -d '{"changes":[{"key":"x","item":{}}]}' "$BASE/api/changes"
check '[ "$ST" = 400 ] && jget error.message < "$W/b.badpush" | grep -q "changes\[0\]"' "a device may not push items → 400 naming the change ($ST)"
req badbody -X POST -H "$AUTH" -d '{"changes":' "$BASE/api/changes"
check '[ "$ST" = 400 ]' "a truncated push → 400 ($ST)"
req pre -X OPTIONS -H "Origin: https://page.example" -H "Access-Control-Request-Method: POST" -H "Access-Control-Request-Headers: authorization, content-type" "$BASE/api/changes"
check '[ "$ST" = 204 ] && [ "$(hdr pre Access-Control-Allow-Origin)" = https://page.example ]' "CORS preflight of /api/changes for a listed origin ($ST)"

# ---- the device pulls --------------------------------------------------------------------------------
follow "$KEY"
dev sync > "$W/sync1.txt" 2>&1
dev last-run > "$W/run1.json"
N=$(sqlite3 "$HDB" "SELECT count(*) FROM items")
check '[ "$(jget run.status < "$W/run1.json")" = ok ] && [ "$(jget run.new < "$W/run1.json")" = "$N" ] && [ "$N" -gt 5 ]' "the device's sync goes to hubd: ok, $N new ($(jget run < "$W/run1.json" | cut -c1-200))"
req cards -H "$AUTH" "$BASE/api/cards.json?limit=200"
dev cards 200 > "$W/devcards.json"
node -e 'const r=(p)=>JSON.parse(require("fs").readFileSync(p,"utf8")).cards.map(c=>c.key).join(),a=r(process.argv[1]),b=r(process.argv[2]);process.exit(a&&a===b?0:1)' "$W/b.cards" "$W/devcards.json"
check '[ $? = 0 ]' "the device shows hubd's cards, in hubd's order"
check '[ "$(curl -s "$API/_fake/stats" | jget log.length)" -gt 0 ] && ! grep -q "$API" "$W/sync1.txt"' "the device itself asked the fake GitHub nothing"

# ---- a done on the device reaches hubd; GitHub hears it once --------------------------------------------
dev done octocat/Hello-World#1347 > /dev/null
dev sync > /dev/null 2>&1
check '[ "$(sqlite3 "$HDB" "SELECT t.done_at IS NOT NULL FROM triage t JOIN items i ON i.id = t.item_id WHERE i.key = '"'github.com/octocat/Hello-World#1347'"'")" = 1 ]' "hubd has the device's done"
req ob -X POST -H "$AUTH" -d '{"cmd":"outbox"}' "$BASE/api/call"
check '[ "$(jget counts.pending < "$W/b.ob")" = 1 ]' "hubd queued it for GitHub ($(jget counts < "$W/b.ob"))"
req s2 -X POST -H "$AUTH" "$BASE/api/sync"
req s3 -X POST -H "$AUTH" "$BASE/api/sync"
check '[ "$(upstream_calls DELETE /notifications/threads/17000000059)" = 1 ]' "hubd's next syncs told the fake GitHub: one DELETE of the thread, exactly once"

# ---- hubd's own triage reaches the device ---------------------------------------------------------
req rd -X POST -H "$AUTH" -d "{\"cmd\":\"triage\",\"now\":$(date +%s%3N),\"action\":\"save\",\"keys\":[\"github.com/octokit/octokit.rb#1520\"]}" "$BASE/api/call"
check '[ "$ST" = 200 ] && [ "$(jget changed < "$W/b.rd")" = 1 ]' "hubd: save (through /api/call, on the writer)"
dev sync > /dev/null 2>&1
dev cards 200 -q is:saved > "$W/saved.json"
check '[ "$(jget cards.0.key < "$W/saved.json")" = "github.com/octokit/octokit.rb#1520" ]' "the device has hubd's save"
check '[ "$(state "$HDB")" = "$(state "$DEV")" ]' "both databases hold the same triage state and stamps"

# ---- a wrong key ------------------------------------------------------------------------------------
follow wrong-key
dev sync > /dev/null 2>&1
dev last-run > "$W/run_key.json"
check '[ "$(jget run.status < "$W/run_key.json")" = error ] && [ "$(jget run.code < "$W/run_key.json")" = token_rejected ]' "a wrong key: the run stops, token_rejected"
follow "$KEY"

# ---- hubd stopped: the device works alone; restarted: it converges ---------------------------------------
kill -TERM $HPID; gone $HPID; wait $HPID; rc=$?
check '[ $rc = 0 ] && ! grep -q "AddressSanitizer\|LeakSanitizer\|runtime error" "$W/hubd.log"' "hubd stops cleanly (rc=$rc)"
dev sync > /dev/null 2>&1
dev last-run > "$W/run_off.json"
check '[ "$(jget run.status < "$W/run_off.json")" = offline ] && [ "$(jget run.code < "$W/run_off.json")" = offline ]' "hubd unreachable: the device's run ends as offline ($(jget run.errors < "$W/run_off.json" | cut -c1-160))"
dev done octokit/octokit.rb#1512 > "$W/done2.txt" 2>&1
dev cards 200 -q is:done > "$W/done2.json"
check 'grep -q "octokit/octokit.rb#1512" "$W/done2.json" && [ "$(dev stats | jget stats.tracked)" = "$N" ]' "… the device still shows its cards and takes a done"
start_hubd "$W/hubd2.log"
follow "$KEY"
dev sync > /dev/null 2>&1
dev last-run > "$W/run_back.json"
check '[ "$(jget run.status < "$W/run_back.json")" = ok ] && [ "$(sqlite3 "$HDB" "SELECT t.done_at IS NOT NULL FROM triage t JOIN items i ON i.id = t.item_id WHERE i.key = '"'github.com/octokit/octokit.rb#1512'"'")" = 1 ]' "hubd back (restarted): the done made meanwhile arrives"
check '[ "$(state "$HDB")" = "$(state "$DEV")" ]' "… and both databases converge"
kill -TERM $HPID; gone $HPID; wait $HPID; rc=$?
check '[ $rc = 0 ] && ! grep -q "AddressSanitizer\|LeakSanitizer\|runtime error" "$W/hubd2.log"' "hubd stops cleanly again, ASan quiet (rc=$rc)"

echo "$P passed, $F failed"
[ "$F" = 0 ]
