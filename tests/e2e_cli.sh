#!/bin/sh
# e2e_cli.sh — the `hub` CLI as a user runs it, against the fake upstream on 127.0.0.1.
# usage: e2e_cli.sh WORKDIR        (run from the repository root, after make)
set -u
W=$1
HUB=${HUB_BIN:-build/asan/hub}
. tests/checks.sh

rm -f "$W/port" "$W"/*.db*
build/fake_upstream --dir tests/exchanges/demo --dir tests/exchanges/paginate-issues --dir tests/exchanges/outbox \
  --port 0 --port-file "$W/port" > "$W/fake.log" 2>&1 &
FAKE=$!
trap 'kill $FAKE 2>/dev/null' EXIT INT TERM
i=0; while [ ! -s "$W/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(cat "$W/port")
BASE=http://127.0.0.1:$PORT
export HUB_GITHUB_API=$BASE GITHUB_TOKEN=e2e-token HUB_DB=$W/hub.db HUB_MAX_WAIT=5
stats() { curl -s "$BASE/_fake/stats" | jget "$1"; }

# 1. first sync: cards appear
$HUB sync > "$W/sync1.json" 2> "$W/sync1.err"; rc=$?
check '[ $rc = 0 ]' "first sync exits 0 (rc=$rc: $(cat "$W/sync1.err"))"
check '[ "$(jget status < "$W/sync1.json")" = ok ]' "first sync status ok"
NEW=$(jget new < "$W/sync1.json")
check '[ "$NEW" -gt 10 ]' "first sync stores items (new=$NEW)"
$HUB cards > "$W/cards.json"
NC=$(jget cards.length < "$W/cards.json")
OPEN=$($HUB stats | jget stats.open)
check '[ "$NC" -gt 0 ] && [ "$NC" = "$OPEN" ]' "one card per open item ($NC cards, $OPEN open)"
check '[ -n "$(jget cards.0.key < "$W/cards.json")" ] && [ -n "$(jget cards.0.url < "$W/cards.json")" ] && [ -n "$(jget cards.0.reasons < "$W/cards.json")" ]' "a card has key, url, reasons"
KEY=$(jget cards.0.key < "$W/cards.json")
check '$HUB card "$KEY" | jget card.factors.recency | grep -qE "^0\.|^1$"' "card detail explains the score"
check '[ -s "$W/hub.db" ] && ! cat "$W"/hub.db* | grep -aq e2e-token' "the token from the environment is not stored"

# 2. second sync: only conditional requests, all 304, nothing charged
curl -s -X POST "$BASE/_fake/reset" > /dev/null
$HUB sync > "$W/sync2.json" 2> "$W/sync2.err"; rc=$?
check '[ $rc = 0 ]' "second sync exits 0"
# (hub card above marked the card read: its PATCH to GitHub is the one change this sync sends)
GETS=$(curl -s "$BASE/_fake/stats" | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{const l=JSON.parse(d).log;const g=l.filter(e=>e.method==="GET");console.log(g.length+" "+g.filter(e=>e.status===304).length+" "+l.filter(e=>e.method!=="GET").map(e=>e.method).join(","))})')
check '[ "$(stats charged)" = "$(echo "$GETS" | awk "{print split(\$3, a, \",\")}")" ] && echo "$GETS" | cut -d" " -f3 | grep -qxE "(PATCH)?"' "second sync charges 0 points for reading; at most the card's read is sent (charged=$(stats charged), $GETS)"
check '[ "$(echo "$GETS" | cut -d" " -f1)" = "$(echo "$GETS" | cut -d" " -f2)" ]' "second sync: every GET answered 304 ($GETS)"
check '[ "$(jget new < "$W/sync2.json")" = 0 ] && [ "$(jget updated < "$W/sync2.json")" = 0 ]' "second sync: nothing new or updated"

# 3. a rejected token stops the run with a one-line message and a non-zero exit
rm -f "$W/hub401.db"
curl -s -X POST "$BASE/_fake/fault?kind=401&count=1" > /dev/null
HUB_DB=$W/hub401.db $HUB sync > /dev/null 2> "$W/401.err"; rc=$?
check '[ $rc != 0 ]' "401: non-zero exit"
check 'grep -q "token rejected" "$W/401.err" && grep -q GITHUB_TOKEN "$W/401.err" && [ "$(wc -l < "$W/401.err")" -le 3 ]' "401: says token rejected and where the token came from ($(cat "$W/401.err"))"

# 4. invalid JSON from upstream: a clear one-line error, the rest of the sync is kept,
#    and the next sync completes what was missing
rm -f "$W"/bad.db*
curl -s -X POST "$BASE/_fake/fault?kind=badjson&count=1&path=/search" > /dev/null
HUB_DB=$W/bad.db $HUB sync > /dev/null 2> "$W/bad.err"; rc=$?
check '[ $rc = 1 ] && grep -q "invalid JSON" "$W/bad.err"' "bad JSON: exit 1 with a clear message ($(cat "$W/bad.err"))"
BEFORE=$(HUB_DB=$W/bad.db $HUB stats | jget stats.tracked)
check '[ "$BEFORE" -gt 0 ]' "bad JSON: the other answers were stored ($BEFORE items)"
HUB_DB=$W/bad.db $HUB sync > "$W/bad2.json" 2> "$W/bad2.err"; rc=$?
AFTER=$(HUB_DB=$W/bad.db $HUB stats | jget stats.tracked)
check '[ $rc = 0 ] && [ "$AFTER" -gt "$BEFORE" ]' "bad JSON: the next sync completes ($BEFORE → $AFTER items)"

# 5. truncated transfer: retried, then fine
rm -f "$W/trunc.db"
curl -s -X POST "$BASE/_fake/fault?kind=truncate&count=1&path=/repos" > /dev/null
HUB_DB=$W/trunc.db $HUB sync > "$W/trunc.json" 2> "$W/trunc.err"; rc=$?
check '[ $rc = 0 ] && [ "$(jget retries < "$W/trunc.json")" -ge 1 ]' "truncated body: retried and completed (rc=$rc $(cat "$W/trunc.err"))"

# 5b. a slow upstream (1.5 s for one answer) is waited for, not mistaken for a failure
rm -f "$W"/slow.db*
curl -s -X POST "$BASE/_fake/fault?kind=slow&count=1&delay_ms=1500&path=/user" > /dev/null
HUB_DB=$W/slow.db $HUB sync > "$W/slow.json" 2> "$W/slow.err"; rc=$?
check '[ $rc = 0 ] && [ "$(jget status < "$W/slow.json")" = ok ]' "slow answer: the sync completes ($(cat "$W/slow.err"))"

# 6. one tip from the CLI, a reaction, and offline evaluation
$HUB tip > "$W/tip.json"; rc=$?
DEC=$(jget decision < "$W/tip.json")
check '[ $rc = 0 ] && [ -n "$(jget tip.key < "$W/tip.json")" ] && [ "$DEC" -gt 0 ]' "hub tip gives a tip with a decision"
$HUB tip-feedback "$DEC" done > "$W/fb.json"; rc=$?
check '[ $rc = 0 ] && [ "$(jget reward < "$W/fb.json")" = 1 ]' "hub tip-feedback done: reward 1"
$HUB tip-feedback "$DEC" sideways > /dev/null 2> "$W/fb.err"; rc=$?
check '[ $rc = 1 ] && [ -s "$W/fb.err" ]' "an unknown reaction is refused with a message"
OBD=${HUB_OBD_DIR:-../shared/fixtures/obd}
if [ -f "$OBD/random/men.csv" ]; then
  $HUB tip-eval item:3 --obd "$OBD/random/men.csv" > "$W/eval.json"; rc=$?
  check '[ $rc = 0 ] && [ "$(jget events < "$W/eval.json")" = 10000 ] && [ "$(jget matched < "$W/eval.json")" -gt 0 ]' "tip-eval on the OBD sample reads 10,000 events"
else
  echo "note: $OBD not found; skipping the OBD CLI check"
fi

# 7. the CLI as a person uses it
check '[ "$(jget updated < "$W/sync1.json")" = 0 ]' "a first sync into an empty database reports 0 updated"
# (the first item `hub top` prints: the tip above may have marked any one done)
REF=$($HUB top 40 | awk 'NR == 2 {print $3}')
check 'echo "$REF" | grep -qx "[A-Za-z0-9._-]*/[A-Za-z0-9._-]*#[0-9]*" && $HUB card "$REF" | jget card.key | grep -qx "github.com/$REF"' "hub card takes what hub top prints ($REF)"
check '$HUB card https://github.com/cli/cli/issues/8101 | jget card.key | grep -qx "github.com/cli/cli#8101"' "hub card takes a GitHub URL"
$HUB frobnicate > /dev/null 2> "$W/usage.err"; rc=$?
check '[ $rc = 2 ] && grep -q "unknown command" "$W/usage.err"' "unknown subcommand: says so, exit 2"
(cd "$W" && mkdir -p fresh && cd fresh && HUB_DB= "$OLDPWD/$HUB" frobnicate > /dev/null 2>&1; [ ! -e hub.db ]); rc=$?
check '[ $rc = 0 ]' "an unknown command creates no database"
$HUB --help > "$W/help.out" 2>&1; rc=$?
check '[ $rc = 0 ] && grep -q "usage: hub" "$W/help.out"' "--help exits 0 with the usage"
check '$HUB --version | grep -q "^hub "' "--version"
$HUB top abc > /dev/null 2>&1; rc=$?
check '[ $rc = 2 ]' "hub top abc: bad usage, exit 2 (rc=$rc)"
$HUB tip > "$W/tip2.json"
DEC2=$(jget decision < "$W/tip2.json")
$HUB tip-feedback "$DEC2" snooze tomorrow > "$W/snz.json"; rc=$?
UNTIL=$(jget snooze_until < "$W/snz.json"); NOW=$(date +%s)
check '[ $rc = 0 ] && [ "$UNTIL" -gt $(( (NOW + 3600) * 1000 )) ] && [ "$UNTIL" -le $(( (NOW + 2 * 86400) * 1000 )) ]' "snooze tomorrow is understood (until $UNTIL)"
$HUB tip-feedback "$DEC2" snooze sometime > /dev/null 2> "$W/snz.err"; rc=$?
check '[ $rc = 2 ] && grep -q "not a time" "$W/snz.err"' "snooze with a time it cannot read: exit 2, says so"
# a database the user may read but not write (root writes anything: run as nobody then)
mkdir -p "$W/ro" && chmod 777 "$W/ro" && rm -f "$W"/ro/*
cp "$W/hub.db" "$W/ro/ro.db" && chmod 444 "$W/ro/ro.db"
AS=; [ "$(id -u)" = 0 ] && AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
check '$AS env HUB_DB=$W/ro/ro.db $HUB stats | jget stats.open | grep -qx "$OPEN"' "a read-only database can still be read: stats"
check '$AS env HUB_DB=$W/ro/ro.db $HUB top 3 | grep -q "score"' "a read-only database can still be read: top"
$AS env HUB_DB=$W/ro/ro.db $HUB settings '{"github_user":"x"}' > /dev/null 2> "$W/ro.err"; rc=$?
check '[ $rc = 1 ] && grep -q "read-only" "$W/ro.err"' "a write to a read-only database says so ($(cat "$W/ro.err"))"
rm -f "$W"/closed.db*
T0=$(date +%s%N)
HUB_DB=$W/closed.db HUB_GITHUB_API=http://127.0.0.1:1 $HUB sync > "$W/closed.json" 2> "$W/closed.err"; rc=$?
T1=$(date +%s%N)
check '[ $rc = 1 ] && [ $(( (T1 - T0) / 1000000 )) -lt 5000 ] && grep -q "offline" "$W/closed.err" && head -1 "$W/closed.err" | grep -q "syncing"' "a closed port: says what it does, gives up at once ($(( (T1 - T0) / 1000000 )) ms: $(tr '\n' ' ' < "$W/closed.err"))"
HUB_DB=/nonexistent/dir/x.db $HUB stats > /dev/null 2> "$W/nodb.err"; rc=$?
check '[ $rc = 1 ] && grep -q "cannot open" "$W/nodb.err" && grep -q "/nonexistent/dir/x.db" "$W/nodb.err"' "unopenable database: clear message naming the path"

# 8. triage from the CLI (a fresh database): done, snooze, undo, cards -q, the outbox sent by the
#    next sync before anything is fetched, a 404 dropped with a note
T=$W/triage.db
rm -f "$T"*
changes() { curl -s "$BASE/_fake/stats" | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{const l=JSON.parse(d).log;console.log(l.filter(e=>e.method!=="GET").map(e=>e.method+" "+e.path+(e.body?" "+e.body:"")+" "+e.status).join("|"));console.log(l.findIndex(e=>e.method==="GET")>=l.filter(e=>e.method!=="GET").length||!l.some(e=>e.method==="GET")?"first":"late")})'; }
HUB_DB=$T $HUB sync > /dev/null 2>&1
N0=$(HUB_DB=$T $HUB cards | jget total)
HUB_DB=$T $HUB done octokit/octokit.rb#1520 > "$W/t-done.json"; rc=$?
check '[ $rc = 0 ] && [ "$(jget changed < "$W/t-done.json")" = 1 ] && [ "$(jget outbox < "$W/t-done.json")" = 1 ]' "hub done KEY: changed 1, one outbox entry ($(tr -d '\n\t' < "$W/t-done.json"))"
check '[ "$(HUB_DB=$T $HUB cards | jget total)" = $((N0 - 1)) ] && ! HUB_DB=$T $HUB top 200 | grep -q "octokit.rb#1520"' "a done card leaves the inbox"
check '[ "$(HUB_DB=$T $HUB cards -q is:done | jget cards.0.key)" = github.com/octokit/octokit.rb#1520 ]' "hub cards -q is:done shows it"
HUB_DB=$T $HUB snooze https://github.com/cli/cli/pull/8123 --until tomorrow > "$W/t-snz.json"; rc=$?
check '[ $rc = 0 ] && [ "$(jget changed < "$W/t-snz.json")" = 1 ] && [ "$(HUB_DB=$T $HUB cards -q is:snoozed | jget total)" = 1 ]' "hub snooze URL --until tomorrow"
HUB_DB=$T $HUB snooze cli/cli#8123 > /dev/null 2> "$W/t-u1.err"; rc1=$?
HUB_DB=$T $HUB done > /dev/null 2>&1; rc2=$?
HUB_DB=$T $HUB done -q 'is:open lable:x' > /dev/null 2> "$W/t-u3.err"; rc3=$?
check '[ $rc1 = 2 ] && [ $rc2 = 2 ] && [ $rc3 = 2 ] && grep -q "unknown key" "$W/t-u3.err" && grep -q "at byte 8" "$W/t-u3.err"' "usage errors exit 2 (snooze without --until, no KEY, a malformed query: $(cat "$W/t-u3.err"))"
HUB_DB=$T $HUB undo > "$W/t-undo.json"; rc=$?
check '[ $rc = 0 ] && [ "$(jget action < "$W/t-undo.json")" = snooze ] && [ "$(HUB_DB=$T $HUB cards -q is:snoozed | jget total)" = 0 ]' "hub undo: the snooze is undone"
check '[ "$(HUB_DB=$T $HUB top 5 -q "reason:review_requested is:pr" | grep -c "#")" = 2 ]' "hub top -q QUERY"
check '[ "$(HUB_DB=$T $HUB outbox | jget counts.pending)" = 1 ]' "hub outbox: one pending"
curl -s -X POST "$BASE/_fake/reset" > /dev/null
HUB_DB=$T $HUB sync > /dev/null 2> "$W/t-sync.err"; rc=$?
CH=$(changes)
check '[ $rc = 0 ] && [ "$(echo "$CH" | head -1)" = "DELETE /notifications/threads/17000000020 204" ] && [ "$(echo "$CH" | tail -1)" = first ]' "hub sync sends the outbox first, exactly once ($CH)"
check '[ "$(HUB_DB=$T $HUB outbox | jget counts.sent)" = 1 ] && [ "$(HUB_DB=$T $HUB outbox | jget counts.pending)" = 0 ]' "hub outbox: sent"
curl -s -X POST "$BASE/_fake/reset" > /dev/null
HUB_DB=$T $HUB sync > /dev/null 2>&1
check '[ -z "$(changes | head -1)" ]' "the next sync sends nothing again"
HUB_DB=$T $HUB done github-linguist/linguist#6198 octocat/Hello-World#1347 > /dev/null
curl -s -X POST "$BASE/_fake/reset" > /dev/null
curl -s -X POST "$BASE/_fake/fault?kind=404&count=1&path=/notifications/threads/17000000085" > /dev/null
HUB_DB=$T $HUB sync > /dev/null 2> "$W/t-404.err"; rc=$?
HUB_DB=$T $HUB outbox > "$W/t-ob.json"
check '[ $rc = 1 ] && grep -q "17000000085" "$W/t-404.err" && [ "$(jget counts.dropped < "$W/t-ob.json")" = 1 ] && [ "$(jget counts.sent < "$W/t-ob.json")" = 2 ] && grep -q "404" "$W/t-ob.json"' "a 404: dropped with a note, the run says so ($(cat "$W/t-404.err"))"

echo "e2e: $P passed, $F failed"
[ $F = 0 ]
