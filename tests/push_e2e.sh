#!/bin/sh
# push_e2e.sh — Web Push end to end: hubd (ASan build) with the fake GitHub replaying the demo
# plus review requests that arrive one sync at a time, and the push-service double
# (build/fake_push), which decrypts every push (RFC 8291) and checks its VAPID JWT (RFC 8292).
# usage: push_e2e.sh WORKDIR        (run from the repository root, after make)
# Checks: the VAPID key is made once (0600, sealed) and kept across a restart; subscribe needs
# the key; endpoints off the allow-list, plain http, private and loopback addresses are refused
# and nothing is stored; after the first ingest the tip arrives; a new review request during
# the day arrives as exactly one push per device, decrypted, with a valid JWT, its topic and
# urgency; during quiet hours nothing arrives; a 410 removes the device; a 429 is retried at
# its Retry-After and then delivered; a 403 flags a likely VAPID key mismatch; unsubscribe.
set -u
W=$1
HUBD=${HUBD_BIN:-build/asan/hubd}
. tests/checks.sh
# js 'EXPR using d (the JSON in FILE)' FILE: prints the expression's value
js() { node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[2],"utf8"));const v=(0,eval)("(d)=>("+process.argv[1]+")")(d);console.log(typeof v==="object"?JSON.stringify(v):v)' "$1" "$2"; }
req() { n=$1; shift; ST=$(curl -s --max-time 10 -o "$W/b.$n" -w '%{http_code}' "$@"); }
wait_for() { i=0; while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; grep -q "$2" "$1"; }
gone() { i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; ! kill -0 "$1" 2>/dev/null; }

rm -rf "$W" && mkdir -p "$W"
export HUBD_SCHEDULE_INGEST=off HUBD_SCHEDULE_GFI=off HUBD_SCHEDULE_DIAGNOSTICS=off HUBD_SCHEDULE_CLEANUP=off
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done' EXIT INT TERM

# ---- the fake GitHub: the demo, then review requests 9001… one more with each sync ----------------
node - "$W/scn" <<'EOF'
const fs = require('fs'), path = require('path');
const dir = process.argv[2];
fs.mkdirSync(dir, { recursive: true });
const demo = JSON.parse(fs.readFileSync('tests/exchanges/demo/search-review-requested.json', 'utf8'));
let ex = '# push_e2e: the review-requested search grows by one pull per sync (after the demo answer)\n';
const extra = [];
for (let n = 1; n <= 4; n++) {
  const it = JSON.parse(JSON.stringify(demo.items[0]));
  const num = 9000 + n;
  for (const k of ['url', 'repository_url', 'labels_url', 'comments_url', 'events_url', 'html_url'])
    if (typeof it[k] === 'string') it[k] = it[k].replace(/1520/g, String(num));
  if (it.pull_request) for (const k of Object.keys(it.pull_request))
    if (typeof it.pull_request[k] === 'string') it.pull_request[k] = it.pull_request[k].replace(/1520/g, String(num));
  Object.assign(it, { id: 4000000000 + n, node_id: 'PR_push' + n, number: num, title: `Review wanted: push ${n} <b>now</b>`,
    comments: 1, created_at: '2025-11-23T00:30:00Z', updated_at: '2025-11-23T00:30:00Z' });
  extra.push(it);
  const body = { ...demo, total_count: demo.items.length + n, items: [...extra, ...demo.items] };
  fs.writeFileSync(path.join(dir, `rr-${n}.json`), JSON.stringify(body, null, 1));
  ex += `\n> GET /search/issues?q=is%3Aopen+is%3Apr+review-requested%3Aoctocat&per_page=100\n< 200\n< ETag: "push-${n}"\n@ rr-${n}.json\n`;
}
fs.writeFileSync(path.join(dir, 'exchanges.txt'), ex);
EOF
build/fake_upstream --dir tests/exchanges/demo --dir "$W/scn" --fresh --port 0 --port-file "$W/fport" > "$W/fake.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$W/fport" . || { echo "FAIL the fake upstream did not start"; echo "0 passed, 1 failed"; exit 1; }
API=http://127.0.0.1:$(cat "$W/fport")

KEY=k3y-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | cut -c1-28)
AUTH="Authorization: Bearer $KEY"
CONF=$W/hubd.conf
printf 'api_key = %s\ngithub_token = demo-token\ngithub_api = %s\npush_hosts = 127.0.0.1, fcm.googleapis.com, *.push.services.mozilla.com\nvapid_subject = mailto:ops@hub.test\n' "$KEY" "$API" > "$CONF"
chmod 600 "$CONF"

start_hubd() { # start_hubd LOG: sets HPID and BASE
  rm -f "$W/port"
  "$HUBD" --listen 127.0.0.1:0 --port-file "$W/port" --root web --db "$W/hub.db" --config "$CONF" 2> "$1" &
  HPID=$!; PIDS="$PIDS $HPID"
  wait_for "$W/port" . || { echo "FAIL hubd did not start: $(cat "$1")"; return 1; }
  BASE=http://127.0.0.1:$(cat "$W/port")
}
start_hubd "$W/hubd.log" || { echo "$P passed, $((F + 1)) failed"; exit 1; }

# ---- 1. the VAPID key: made once, 0600, sealed; public; kept across a restart ------------------------
req key "$BASE/api/push/key"
VAPID=$(js 'd.vapid_public_key' "$W/b.key")
check '[ "$ST" = 200 ] && [ ${#VAPID} = 87 ]' "GET /api/push/key without the key: the public key ($ST, ${#VAPID} chars)"
check '[ "$(stat -c %a "$W/hub.db.vapid")" = 600 ] && grep -q "^hubd-sealed-v1:" "$W/hub.db.vapid" && grep -q event=vapid_key_created "$W/hubd.log"' \
  "the key file is created 0600 and sealed ($(stat -c %a "$W/hub.db.vapid" 2>/dev/null))"
kill -TERM "$HPID"; gone "$HPID"
start_hubd "$W/hubd2.log" || { echo "$P passed, $((F + 1)) failed"; exit 1; }
req key2 "$BASE/api/push/key"
check '[ "$(js d.vapid_public_key "$W/b.key2")" = "$VAPID" ] && ! grep -q event=vapid_key_created "$W/hubd2.log"' "after a restart: the same VAPID key"

# ---- the push double with two devices (a, b) --------------------------------------------------------
uakeys() { node -e 'const c=require("crypto");const e=c.createECDH("prime256v1");e.generateKeys();let d=e.getPrivateKey();d=Buffer.concat([Buffer.alloc(32-d.length),d]);console.log(d.toString("base64url")+" "+e.getPublicKey().toString("base64url")+" "+c.randomBytes(16).toString("base64url"))'; }
set -- $(uakeys); A_D=$1 A_P=$2 A_AUTH=$3
set -- $(uakeys); B_D=$1 B_P=$2 B_AUTH=$3
build/fake_push --port 0 --port-file "$W/pport" --vapid "$VAPID" --sub "a:$A_D:$A_AUTH" --sub "b:$B_D:$B_AUTH" > "$W/push.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$W/pport" . || { echo "FAIL the push double did not start"; echo "$P passed, $((F + 1)) failed"; exit 1; }
PUSH=http://127.0.0.1:$(cat "$W/pport")
sub_body() { printf '{"endpoint":"%s","keys":{"p256dh":"%s","auth":"%s"},"tz_offset_min":0,"device":"%s"}' "$1" "$2" "$3" "$4"; }

# ---- 2. subscribe: the key, the allow-list --------------------------------------------------------------
req noauth -X POST -d "$(sub_body "$PUSH/push/a" "$A_P" "$A_AUTH" a)" "$BASE/api/push/subscribe"
check '[ "$ST" = 401 ]' "subscribe without the key: 401 ($ST)"
for ep in "https://evil.example/push/x" "https://fcm.googleapis.com.evil.example/x" "https://10.0.0.7/push" \
          "https://127.0.0.1:$(cat "$W/pport")/push/a" "http://localhost:$(cat "$W/pport")/push/a" "https://[::1]/push" \
          "https://user@fcm.googleapis.com/x" "http://fcm.googleapis.com/fcm/send/x" "https://fcm.googleapis.com:8443/x" \
          "https://192.168.1.1.nip.io/x" "ftp://fcm.googleapis.com/x"; do
  req refuse -X POST -H "$AUTH" -d "$(sub_body "$ep" "$A_P" "$A_AUTH" evil)" "$BASE/api/push/subscribe"
  check '[ "$ST" = 400 ] && [ "$(js d.error.field "$W/b.refuse")" = endpoint ]' "endpoint $ep refused ($ST $(cat "$W/b.refuse"))"
done
req badkey -X POST -H "$AUTH" -d "$(sub_body "$PUSH/push/a" "BAAA$(echo "$A_P" | cut -c5-)" "$A_AUTH" a)" "$BASE/api/push/subscribe"
check '[ "$ST" = 400 ]' "a p256dh off the curve refused ($ST)"
req none -H "$AUTH" "$BASE/api/push"
check '[ "$ST" = 200 ] && [ "$(js d.subscriptions.length "$W/b.none")" = 0 ]' "nothing refused was stored"
req sa -X POST -H "$AUTH" -d "$(sub_body "$PUSH/push/a" "$A_P" "$A_AUTH" a)" "$BASE/api/push/subscribe"
req sb -X POST -H "$AUTH" -d "$(sub_body "$PUSH/push/b" "$B_P" "$B_AUTH" b)" "$BASE/api/push/subscribe"
check '[ "$ST" = 200 ] && [ "$(js d.created "$W/b.sb")" = true ] && [ "$(js d.subscription.host "$W/b.sb")" = 127.0.0.1 ]' "two devices subscribe ($ST)"
req sa2 -X POST -H "$AUTH" -d "$(sub_body "$PUSH/push/a" "$A_P" "$A_AUTH" a)" "$BASE/api/push/subscribe"
check '[ "$(js d.created "$W/b.sa2")" = false ]' "the same subscription again is not a third device"

H=$(date -u +%H | sed 's/^0//')
settings() { req set -X POST -H "$AUTH" -d "{\"cmd\":\"settings\",\"set\":$1}" "$BASE/api/call"; }
settings "{\"push_threshold\":3,\"push_max_per_hour\":60,\"push_quiet_start\":$(((H + 3) % 24)),\"push_quiet_end\":$(((H + 4) % 24))}"
check '[ "$ST" = 200 ]' "push settings through /api/call ($ST)"

# rounds N: waits (≤ 20 s) until the driver finished N kicked rounds
rounds() { i=0; while [ $i -lt 200 ]; do req st -H "$AUTH" "$BASE/api/push"; [ "$(js d.driver.rounds "$W/b.st")" -ge "$1" ] 2>/dev/null && return 0; sleep 0.1; i=$((i + 1)); done; return 1; }
plog() { curl -s "$PUSH/_log" > "$W/plog.json"; }
sync_now() { req sync -X POST -H "$AUTH" "$BASE/api/sync"; }

# ---- 3. the first ingest: the tip arrives on both devices ---------------------------------------------
sync_now
check '[ "$ST" = 200 ]' "sync 1 ($ST)"
rounds 1; plog
check '[ "$(js d.length "$W/plog.json")" = 2 ] && [ "$(js "d.every(e=>e.status===201&&e.decrypt_ok&&e.jwt_ok)" "$W/plog.json")" = true ]' \
  "after the first ingest: the tip on each device, decrypted, VAPID valid ($(js 'd.map(e=>e.id+":"+e.status+":"+JSON.parse(e.payload||"{}").kind)' "$W/plog.json"))"
check '[ "$(js "d[0].aud" "$W/plog.json")" = "$PUSH" ] && [ "$(js "d[0].sub" "$W/plog.json")" = mailto:ops@hub.test ] && [ "$(js "JSON.parse(d[0].payload).kind" "$W/plog.json")" = tip ]' \
  "the JWT's aud is the push service's origin, sub the configured subject"

# ---- 4. a new review request during the day: exactly one push per device -------------------------------
sync_now; rounds 2; plog
NEW=github.com/octokit/octokit.rb#9001
check '[ "$(js d.length "$W/plog.json")" = 4 ]' "a new review request: one more push per device ($(js d.length "$W/plog.json") in all)"
check '[ "$(js "d.slice(2).every(e=>e.status===201&&e.decrypt_ok&&e.jwt_ok&&JSON.parse(e.payload).key===\"$NEW\")" "$W/plog.json")" = true ]' \
  "each decrypts to the new item ($(js 'd.slice(2).map(e=>e.payload)' "$W/plog.json"))"
check '[ "$(js "d.slice(2).map(e=>e.id).sort().join()" "$W/plog.json")" = a,b ] && [ "$(js "d[2].urgency" "$W/plog.json")" = high ] && [ "$(js "d[2].topic===JSON.parse(d[2].payload).topic&&d[2].topic===\"hub-tip\"" "$W/plog.json")" = true ]' \
  "one per device, urgency high, the one Topic (a newer push replaces an older one)"
check '[ "$(js "JSON.parse(d[2].payload).why" "$W/plog.json")" = "review requested" ] && [ "$(js "JSON.parse(d[2].payload).title" "$W/plog.json")" = "Review wanted: push 1 <b>now</b>" ]' \
  "the payload says why and carries the title as text"

# ---- 5. quiet hours: nothing arrives ----------------------------------------------------------------------
settings "{\"push_quiet_start\":$(((H + 23) % 24)),\"push_quiet_end\":$(((H + 2) % 24))}"
sync_now; rounds 3; plog
check '[ "$(js d.length "$W/plog.json")" = 4 ] && [ "$(js d.driver.last_round.why "$W/b.st")" = quiet_hours ]' \
  "a review request during quiet hours: nothing sent ($(js d.length "$W/plog.json"), $(js d.driver.last_round.why "$W/b.st"))"

# ---- 6. 410 removes a device; 429 is retried at Retry-After ----------------------------------------------
settings '{"push_quiet_start":0,"push_quiet_end":0}'
curl -s -X POST -d '{"id":"b","status":410,"count":1}' "$PUSH/_script" > /dev/null
curl -s -X POST -d '{"id":"a","status":429,"retry_after":"2","count":1}' "$PUSH/_script" > /dev/null
sync_now; rounds 4
FULL=$(js d.driver.last_full_round "$W/b.st")
echo "$FULL" > "$W/full.json"
check '[ "$(js d.gone "$W/full.json")" = 1 ] && [ "$(js d.retry "$W/full.json")" -ge 1 ]' "the round saw a 410 and a 429 ($FULL)"
check '[ "$(js "d.retry_at - d.at >= 1000" "$W/full.json")" = true ]' "the retry is scheduled at Retry-After (2 s), not before"
plog
K429=$(js 'JSON.parse((d.find(e=>e.id==="a"&&e.status===429)||{}).payload||"{}").key' "$W/plog.json")
i=0; while [ $i -lt 200 ]; do plog; [ "$(js "d.filter(e=>e.id===\"a\"&&JSON.parse(e.payload||\"{}\").key===\"$K429\").map(e=>e.status).join()" "$W/plog.json")" = 429,201 ] && break; sleep 0.1; i=$((i + 1)); done
check '[ -n "$K429" ] && [ "$(js "d.filter(e=>e.id===\"a\"&&JSON.parse(e.payload||\"{}\").key===\"$K429\").map(e=>e.status).join()" "$W/plog.json")" = 429,201 ]' \
  "device a: 429, then the same push delivered on the retry ($K429: $(js "d.filter(e=>e.id===\"a\").map(e=>e.status).join()" "$W/plog.json"))"
check '[ "$(js "d.filter(e=>e.id===\"a\"&&e.status===201&&JSON.parse(e.payload).key===\"github.com/octokit/octokit.rb#9003\").length" "$W/plog.json")" = 1 ]' \
  "the review request that came after quiet hours reached device a once"
req st -H "$AUTH" "$BASE/api/push"
check '[ "$(js d.subscriptions.length "$W/b.st")" = 1 ] && [ "$(js d.subscriptions[0].device "$W/b.st")" = a ]' "the 410 device is gone"
check '[ "$(js "d.driver.retry_rounds >= 1" "$W/b.st")" = true ]' "the retry came from the driver's timer"

# ---- 7. a 403: a likely VAPID key mismatch, visible ---------------------------------------------------------
curl -s -X POST -d '{"id":"a","status":403}' "$PUSH/_script" > /dev/null
sync_now; rounds 5
req st -H "$AUTH" "$BASE/api/push"
check '[ "$(js d.vapid_mismatch "$W/b.st")" = true ] && [ "$(js d.subscriptions[0].vapid_mismatch "$W/b.st")" = true ]' \
  "a 403 flags the device's VAPID key mismatch ($(js d.driver.last_full_round "$W/b.st"))"
check '! grep -qF -- "$A_AUTH" "$W/hubd2.log" && ! grep -qF -- "$A_P" "$W/hubd2.log" && ! grep -q "push/a" "$W/hubd2.log"' "no endpoint or key in hubd's log"

# ---- 8. unsubscribe -------------------------------------------------------------------------------------------
req uns -X POST -H "$AUTH" -d "{\"endpoint\":\"$PUSH/push/a\"}" "$BASE/api/push/unsubscribe"
req st -H "$AUTH" "$BASE/api/push"
check '[ "$(js d.deleted "$W/b.uns")" = 1 ] && [ "$(js d.subscriptions.length "$W/b.st")" = 0 ]' "unsubscribe removes the device"

kill -TERM "$HPID"
check 'gone "$HPID"' "hubd stops"
wait "$HPID" 2>/dev/null
check '! grep -q "ERROR: AddressSanitizer\|runtime error" "$W/hubd.log" "$W/hubd2.log"' "ASan/UBSan found nothing"
echo "push-e2e: $P passed, $F failed"
[ "$F" = 0 ]
