#!/bin/sh
# hubd_test.sh — hubd (ASan build) as an operator and a browser meet it, on random 127.0.0.1
# ports, against the fake upstream replaying the recorded demo.
# usage: hubd_test.sh WORKDIR        (run from the repository root, after make)
# Checks: --help/--version; static files (types, security headers, ETag → 304, .gz/.br when
# accepted, no traversal, no listing); the Bearer key; CORS and preflight; the body cap;
# a slow client does not block others; POST /api/sync then /api/cards.json in `hub cards`
# order; secrets at rest; SIGHUP reloads CORS without dropping a connection; SIGTERM during a
# sync exits within 5 s with an intact database; ASan finds nothing. The scheduler: a scheduled
# run happens and is recorded; no overlap when a run is slow; missed slots run once after a
# restart; kill -9 during ingestion 20 times, then integrity, nothing committed lost, the next
# run completes; SIGTERM during a scheduled run.
set -u
W=$1
HUBD=${HUBD_BIN:-build/asan/hubd}
HUB=${HUB_BIN:-build/asan/hub}
. tests/checks.sh
# req NAME CURL-ARGS…: status in $ST, headers in $W/h.NAME, body in $W/b.NAME
req() { n=$1; shift; ST=$(curl -s --path-as-is --max-time 10 -D "$W/h.$n" -o "$W/b.$n" -w '%{http_code}' "$@"); }
# hdr NAME HEADER: the header's first value
hdr() { grep -i "^$2:" "$W/h.$1" | head -n 1 | cut -d: -f2- | sed 's/^ //; s/\r$//'; }
# wait_for FILE PATTERN: up to 10 s for PATTERN to appear in FILE
wait_for() { i=0; while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; grep -q "$2" "$1"; }
# gone PID: up to 5 s for the process to end (the SIGTERM bound)
gone() { i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; ! kill -0 "$1" 2>/dev/null; }

rm -rf "$W" && mkdir -p "$W"
# sections 1-10 drive syncs themselves: no scheduled syncs there (section 11 turns them on)
export HUBD_SCHEDULE_INGEST=off HUBD_SCHEDULE_GFI=off
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done' EXIT INT TERM

# ---- the fake upstream and a root of static files ------------------------------------------
build/fake_upstream --dir tests/exchanges/demo --port 0 --port-file "$W/fport" > "$W/fake.log" 2>&1 &
FAKE=$!; PIDS="$PIDS $FAKE"
wait_for "$W/fport" . || { echo "FAIL the fake upstream did not start"; echo "0 passed, 1 failed"; exit 1; }
API=http://127.0.0.1:$(cat "$W/fport")

R=$W/root
mkdir -p "$R" && cp -r web/. "$R/"
printf '\000asm\001\000\000\000' > "$R/hub.wasm"
echo 'export const x = 1;' > "$R/mod.mjs"
echo '{"a":1}' > "$R/data.json"
echo '<svg xmlns="http://www.w3.org/2000/svg"/>' > "$R/pic.svg"
gzip -9 -k "$R/app.js"
node -e 'const z=require("zlib"),fs=require("fs");fs.writeFileSync(process.argv[1]+".br",z.brotliCompressSync(fs.readFileSync(process.argv[1])))' "$R/style.css"
mkdir -p "$R/emptydir" "$R/sub" && echo '<p>sub</p>' > "$R/sub/index.html"
ln -s /etc/passwd "$R/passwd-link"
ln -s /etc "$R/etc-link"
echo 'secret' > "$R/.hidden"

KEY=k3y-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | cut -c1-28)
WRONG=$(echo "$KEY" | tr '0-9a-f' 'a-f0-9')
AUTH="Authorization: Bearer $KEY"
CONF=$W/hubd.conf
printf '# hubd test config\ncors_origins = https://ok.example, https://also.example\nlog_level = info\n' > "$CONF"

start_hubd() { # start_hubd LOG ARGS…: starts hubd in the background, sets HPID and BASE
  log=$1; shift
  rm -f "$W/port"
  "$HUBD" --listen 127.0.0.1:0 --port-file "$W/port" --root "$R" "$@" 2> "$log" &
  HPID=$!; PIDS="$PIDS $HPID"
  wait_for "$W/port" . || { echo "FAIL hubd did not start: $(cat "$log")"; return 1; }
  BASE=http://127.0.0.1:$(cat "$W/port")
}

# ---- 1. --help / --version ---------------------------------------------------------------------
"$HUBD" --help > "$W/help.txt" 2>&1; rc=$?
check '[ $rc = 0 ] && grep -q HUBD_API_KEY "$W/help.txt" && grep -q -- "--listen" "$W/help.txt"' "--help exits 0 and lists the settings (rc=$rc)"
"$HUBD" --version > "$W/version.txt" 2>&1; rc=$?
check '[ $rc = 0 ] && grep -q "^hubd [0-9]" "$W/version.txt"' "--version exits 0 ($(cat "$W/version.txt"))"

# the fake LLM for the briefing (tests/fake_llm.c)
build/fake_llm --port 0 --port-file "$W/lport" > "$W/fake_llm.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$W/lport" . || { echo "FAIL the fake LLM did not start"; echo "0 passed, 1 failed"; exit 1; }
LLM=http://127.0.0.1:$(cat "$W/lport")
LLMKEY=sk-llm-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')

export HUBD_API_KEY=$KEY HUB_GITHUB_API=$API GITHUB_TOKEN=test-token HUB_DB=$W/hub.db
export HUB_LLM_PROVIDER=openai HUB_LLM_BASE_URL=$LLM/v1 HUB_LLM_MODEL=fake-model HUB_LLM_API_KEY=$LLMKEY
start_hubd "$W/hubd.log" --config "$CONF" || { echo "$P passed, $((F + 1)) failed"; exit 1; }
MAIN=$HPID
unset HUBD_API_KEY GITHUB_TOKEN HUB_LLM_PROVIDER HUB_LLM_BASE_URL HUB_LLM_MODEL HUB_LLM_API_KEY

# ---- 2. static files ------------------------------------------------------------------------------
META=$(sed -n 's/.*http-equiv="Content-Security-Policy" content="\([^"]*\)".*/\1/p' web/index.html)
req index "$BASE/"
check '[ "$ST" = 200 ] && [ "$(hdr index Content-Type)" = "text/html; charset=utf-8" ] && grep -q "<html" "$W/b.index"' "/ serves index.html ($ST)"
check '[ -n "$META" ] && [ "$(hdr index Content-Security-Policy)" = "$META; frame-ancestors '"'none'"'" ]' "CSP header = the page's meta policy + frame-ancestors ($(hdr index Content-Security-Policy))"
check '[ "$(hdr index X-Content-Type-Options)" = nosniff ] && [ "$(hdr index Referrer-Policy)" = no-referrer ] && [ "$(hdr index X-Frame-Options)" = DENY ]' "nosniff, no-referrer, X-Frame-Options on a page"
check '[ "$(hdr index Cache-Control)" = no-cache ]' "index.html is revalidated (no-cache)"
for pair in "hub.wasm application/wasm" "manifest.webmanifest application/manifest+json" \
            "mod.mjs text/javascript; charset=utf-8" "app.js text/javascript; charset=utf-8" \
            "style.css text/css; charset=utf-8" "pic.svg image/svg+xml" "icons/icon-192.png image/png" \
            "data.json application/json"; do
  f=${pair%% *}; t=${pair#* }
  req type "$BASE/$f"
  check '[ "$ST" = 200 ] && [ "$(hdr type Content-Type)" = "$t" ] && cmp -s "$W/b.type" "$R/$f"' "/$f is $t, same bytes ($ST, $(hdr type Content-Type))"
done
check '[ "$(hdr type X-Content-Type-Options)" = nosniff ] && [ -n "$(hdr type Content-Security-Policy)" ]' "security headers on every file"

# ETag → 304
req etag "$BASE/app.js"
ET=$(hdr etag ETag)
req e304 -H "If-None-Match: $ET" "$BASE/app.js"
check 'echo "$ET" | grep -qE "^\"[0-9a-f]{16}\"$" && [ "$ST" = 304 ] && [ ! -s "$W/b.e304" ] && [ "$(hdr e304 ETag)" = "$ET" ]' "If-None-Match with the ETag → 304, no body ($ET → $ST)"
req ew -H "If-None-Match: \"nope\", W/$ET" "$BASE/app.js"
check '[ "$ST" = 304 ]' "If-None-Match list with a weak form of the ETag → 304 ($ST)"
req eo -H 'If-None-Match: "0000000000000000"' "$BASE/app.js"
check '[ "$ST" = 200 ]' "another ETag → 200 ($ST)"

# precompressed siblings
req gz -H "Accept-Encoding: gzip, deflate" "$BASE/app.js"
check '[ "$ST" = 200 ] && [ "$(hdr gz Content-Encoding)" = gzip ] && gzip -dc < "$W/b.gz" | cmp -s - "$R/app.js"' "app.js.gz served to a client accepting gzip ($ST $(hdr gz Content-Encoding))"
check 'hdr gz Vary | grep -q Accept-Encoding && hdr gz Vary | grep -q Origin && [ "$(hdr gz Content-Type)" = "text/javascript; charset=utf-8" ]' "gzip variant: Vary: Origin, Accept-Encoding and the original's type"
check '[ "$(hdr gz ETag)" != "$ET" ]' "each encoding has its own ETag"
req br -H "Accept-Encoding: gzip, br" "$BASE/style.css"
check '[ "$ST" = 200 ] && [ "$(hdr br Content-Encoding)" = br ] && node -e "process.exit(require(\"zlib\").brotliDecompressSync(require(\"fs\").readFileSync(process.argv[1])).equals(require(\"fs\").readFileSync(process.argv[2]))?0:1)" "$W/b.br" "$R/style.css"' "style.css.br served to a client accepting br ($ST)"
req nobr -H "Accept-Encoding: br;q=0, gzip" "$BASE/style.css"
check '[ "$ST" = 200 ] && [ -z "$(hdr nobr Content-Encoding)" ] && cmp -s "$W/b.nobr" "$R/style.css"' "br;q=0 → the plain file"
req plain "$BASE/app.js"
check '[ -z "$(hdr plain Content-Encoding)" ] && cmp -s "$W/b.plain" "$R/app.js"' "no Accept-Encoding → the plain file"

# path traversal: every attempt refused, /etc/passwd never leaks
for p in "/../../../../etc/passwd" "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd" "/%2E%2E/%2E%2E/etc/passwd" \
         "/%252e%252e/%252e%252e/%252e%252e/etc/passwd" "/..%2f..%2f..%2f..%2fetc%2fpasswd" \
         "/icons/../../../../etc/passwd" "/..%5c..%5c..%5cetc%5cpasswd" '/..\..\..\etc\passwd' \
         "//etc/passwd" "/etc/passwd" "/index.html%00.png" "/%00" "/passwd-link" "/etc-link/passwd" \
         "/.hidden" "/./index.html" "/%2e/index.html" "/%zz" "/sub/.."; do
  req trav "$BASE$p"
  check '{ [ "$ST" = 400 ] || [ "$ST" = 404 ]; } && ! grep -q "root:" "$W/b.trav" && ! grep -q secret "$W/b.trav"' "traversal $p refused ($ST)"
done
node tests/hubd_helper.mjs raw "$(cat "$W/port")" '"GET http://127.0.0.1/../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"' > "$W/abs.txt"
check 'head -n 1 "$W/abs.txt" | grep -qE " (400|404) " && ! grep -q "root:" "$W/abs.txt"' "absolute-form target refused ($(head -n 1 "$W/abs.txt"))"

# no directory listing
for p in /icons/ /icons /emptydir/ /ui/; do
  req dir "$BASE$p"
  check '[ "$ST" = 404 ] && ! grep -q "icon-192" "$W/b.dir"' "directory $p → 404, no listing ($ST)"
done
req subdir "$BASE/sub/"
check '[ "$ST" = 200 ] && grep -q "<p>sub</p>" "$W/b.subdir"' "a directory with index.html serves it ($ST)"
req post -X POST -d x "$BASE/index.html"
check '[ "$ST" = 405 ]' "POST to a static file → 405 ($ST)"

# oversized header block
node -e 'process.stdout.write(JSON.stringify("GET / HTTP/1.1\r\nHost: x\r\nX-Big: "+"a".repeat(70000)+"\r\n\r\n"))' > "$W/big.json"
node tests/hubd_helper.mjs raw "$(cat "$W/port")" "$(cat "$W/big.json")" > "$W/bighdr.txt"
check 'head -n 1 "$W/bighdr.txt" | grep -qE " (413|431) "' "a 70 KB header block is refused ($(head -n 1 "$W/bighdr.txt"))"

# ---- 3. the API key ------------------------------------------------------------------------------
req h "$BASE/healthz"
check '[ "$ST" = 200 ] && [ "$(jget ok < "$W/b.h")" = true ] && [ "$(jget db < "$W/b.h")" = ok ] && [ -n "$(jget version < "$W/b.h")" ]' "/healthz without a key: ok, db ok ($ST $(cat "$W/b.h"))"
for r in "GET /api/cards.json" "GET /api/stats.json" "GET /api/runs" "POST /api/call" "POST /api/sync" "POST /api/brief" "POST /api/ai" "DELETE /api/data" "GET /api/changes" "POST /api/changes"; do
  m=${r%% *}; u=${r#* }
  req noauth -X "$m" "$BASE$u"
  check '[ "$ST" = 401 ] && hdr noauth WWW-Authenticate | grep -q "^Bearer"' "$r without a key → 401 + WWW-Authenticate ($ST)"
done
req wrong -H "Authorization: Bearer $WRONG" "$BASE/api/stats.json"
check '[ "$ST" = 401 ] && [ ${#WRONG} = ${#KEY} ] && [ "$WRONG" != "$KEY" ]' "a wrong key of the same length → 401 ($ST)"
req basic -u "x:$KEY" "$BASE/api/stats.json"
check '[ "$ST" = 401 ]' "the key as Basic auth → 401 ($ST)"
req okkey -H "$AUTH" "$BASE/api/stats.json"
check '[ "$ST" = 200 ] && [ "$(jget stats.tracked < "$W/b.okkey")" = 0 ] && [ "$(hdr okkey Cache-Control)" = no-store ]' "the right key → 200, stats of an empty db ($ST $(cat "$W/b.okkey"))"
check '! grep -q "$KEY" "$W/hubd.log"' "the key is never logged"

# ---- 4. CORS -------------------------------------------------------------------------------------
req cors -H "Origin: https://ok.example" -H "$AUTH" "$BASE/api/stats.json"
check '[ "$(hdr cors Access-Control-Allow-Origin)" = https://ok.example ] && hdr cors Vary | grep -q Origin' "a listed origin is echoed, Vary: Origin"
req cors2 -H "Origin: https://also.example" "$BASE/healthz"
check '[ "$(hdr cors2 Access-Control-Allow-Origin)" = https://also.example ]' "the second listed origin too"
req evil -H "Origin: https://evil.example" -H "$AUTH" "$BASE/api/stats.json"
check '[ -z "$(hdr evil Access-Control-Allow-Origin)" ] && hdr evil Vary | grep -q Origin' "an unlisted origin gets no ACAO, still Vary: Origin"
req pre -X OPTIONS -H "Origin: https://ok.example" -H "Access-Control-Request-Method: POST" -H "Access-Control-Request-Headers: authorization, content-type" "$BASE/api/call"
check '[ "$ST" = 204 ] && [ "$(hdr pre Access-Control-Allow-Origin)" = https://ok.example ] && hdr pre Access-Control-Allow-Headers | grep -q Authorization && hdr pre Access-Control-Allow-Methods | grep -q POST && [ -n "$(hdr pre Access-Control-Max-Age)" ]' "preflight without a key: 204 with methods, headers, max-age ($ST)"
req pre2 -X OPTIONS -H "Origin: https://evil.example" -H "Access-Control-Request-Method: GET" "$BASE/api/cards.json"
check '[ -z "$(hdr pre2 Access-Control-Allow-Origin)" ] && [ -z "$(hdr pre2 Access-Control-Allow-Headers)" ]' "preflight from an unlisted origin: nothing allowed"

# ---- 5. body cap and /api/call ------------------------------------------------------------------
head -c 2097152 /dev/zero | tr '\0' ' ' > "$W/big.body"
req big -X POST -H "$AUTH" -H "Content-Type: application/json" --data-binary @"$W/big.body" "$BASE/api/call"
check '[ "$ST" = 413 ]' "a 2 MiB body (Content-Length) → 413 ($ST)"
req bigc -X POST -H "$AUTH" -H "Transfer-Encoding: chunked" --data-binary @"$W/big.body" "$BASE/api/call"
check '[ "$ST" = 413 ]' "a 2 MiB chunked body → 413 ($ST)"
req call -X POST -H "$AUTH" -d '{"cmd":"stats"}' "$BASE/api/call"
check '[ "$ST" = 200 ] && [ -n "$(jget stats < "$W/b.call")" ]' "POST /api/call {cmd:stats} → the core's answer ($ST)"
req callw -X POST -H "$AUTH" -d '{"cmd":"settings","set":{"reconcile_hours":25}}' "$BASE/api/call"
req callr -X POST -H "$AUTH" -d '{"cmd":"settings"}' "$BASE/api/call"
check 'grep -q "\"reconcile_hours\":25" "$W/b.callr"' "a write through /api/call (settings set) is read back by a reader ($(cat "$W/b.callw"))"
req callbad -X POST -H "$AUTH" -d '{"cmd":' "$BASE/api/call"
check '[ "$ST" = 400 ] && [ "$(jget error.code < "$W/b.callbad")" = bad_json ]' "malformed JSON → 400 bad_json ($ST)"
req callsync -X POST -H "$AUTH" -d '{"cmd":"sync_start","now":1}' "$BASE/api/call"
check '[ "$ST" = 400 ]' "sync_* commands are hubd's own → 400 ($ST)"
req m405 -X PUT -H "$AUTH" "$BASE/api/cards.json"
check '[ "$ST" = 405 ]' "PUT /api/cards.json → 405 ($ST)"
req n404 -H "$AUTH" "$BASE/api/nope"
check '[ "$ST" = 404 ]' "unknown API route → 404 ($ST)"

# ---- 6. a slow client does not block others ---------------------------------------------------------
node tests/hubd_helper.mjs slow "$(cat "$W/port")" 8 "$W/slow.open" &
SLOW=$!; PIDS="$PIDS $SLOW"
wait_for "$W/slow.open" open
req fast1 --max-time 3 "$BASE/healthz"
req fast2 --max-time 3 "$BASE/app.js"
check '[ -s "$W/slow.open" ] && [ "$(cat "$W/b.fast1" | jget ok)" = true ] && [ "$ST" = 200 ]' "8 clients sending headers byte by byte; a normal request is still answered"
kill $SLOW 2>/dev/null; wait $SLOW 2>/dev/null

# ---- 7. POST /api/sync, then the cards in `hub cards` order -----------------------------------------
req sync -X POST -H "$AUTH" "$BASE/api/sync"
check '[ "$ST" = 200 ] && [ "$(jget run.status < "$W/b.sync")" = ok ] && [ "$(jget run.new < "$W/b.sync")" -gt 10 ]' "POST /api/sync ingests the demo ($ST $(head -c 200 "$W/b.sync"))"
req cards -H "$AUTH" "$BASE/api/cards.json"
HUB_DB=$W/hub.db $HUB cards > "$W/cli_cards.json"
node -e 'const f=require("fs");const a=JSON.parse(f.readFileSync(process.argv[1])).cards.map(c=>c.key),b=JSON.parse(f.readFileSync(process.argv[2])).cards.map(c=>c.key);console.log(a.length>0&&a.join()===b.join()?"same":"differ "+a.length+" "+b.length)' "$W/b.cards" "$W/cli_cards.json" > "$W/order.txt"
check '[ "$ST" = 200 ] && [ "$(cat "$W/order.txt")" = same ]' "/api/cards.json lists the cards in hub cards order ($(cat "$W/order.txt"))"
# a settings change on the writer shows at once on the readers (no stale weights, no stale cache)
req dd -X POST -H "$AUTH" -d '{"cmd":"settings","set":{"decay_days":2}}' "$BASE/api/call"
req cards2 -H "$AUTH" "$BASE/api/cards.json"
HUB_DB=$W/hub.db $HUB cards > "$W/cli_cards2.json"
node -e 'const f=require("fs");const a=JSON.parse(f.readFileSync(process.argv[1])).cards[0].score,b=JSON.parse(f.readFileSync(process.argv[2])).cards[0].score,c=JSON.parse(f.readFileSync(process.argv[3])).cards[0].score;console.log(Math.abs(a-b)<=1e-4*Math.abs(b)&&Math.abs(a-c)>1e-2*Math.abs(c)?"fresh":"stale "+a+" "+b+" "+c)' "$W/b.cards2" "$W/cli_cards2.json" "$W/b.cards" > "$W/fresh.txt"
check '[ "$ST" = 200 ] && [ "$(cat "$W/fresh.txt")" = fresh ]' "after a settings write, /api/cards.json scores match a fresh hub cards ($(cat "$W/fresh.txt"))"
req dd -X POST -H "$AUTH" -d '{"cmd":"settings","set":{"decay_days":30}}' "$BASE/api/call"
req limit -H "$AUTH" "$BASE/api/cards.json?limit=3&from=github"
check '[ "$(jget cards.length < "$W/b.limit")" = 3 ]' "?limit=3&from=github → 3 cards"
req stats -H "$AUTH" "$BASE/api/stats.json"
check '[ "$(jget stats.open < "$W/b.stats")" = "$(jget cards.length < "$W/b.cards")" ]' "/api/stats.json: open = number of cards"
req runs -H "$AUTH" "$BASE/api/runs"
check '[ "$(jget run.status < "$W/b.runs")" = ok ]' "/api/runs shows the recorded run"
check '[ "$(jget queue.pending < "$W/b.runs")" = 0 ] && [ "$(jget queue.failed < "$W/b.runs")" = 0 ]' "/api/runs shows the AI queue ($(jget queue < "$W/b.runs"))"

# ---- 7b. the briefing: rule-built, then refined by the fake LLM, then cached -------------------------
req rb -X POST -H "$AUTH" -d "{\"cmd\":\"brief\",\"now\":$(date +%s)000}" "$BASE/api/call"
check '[ "$ST" = 200 ] && [ "$(jget brief.source < "$W/b.rb")" = rules ] && [ "$(jget brief.sections.length < "$W/b.rb")" -ge 3 ]' "the brief command over /api/call: the rule-built briefing with its sections ($ST)"
# the fake answers with the rule-built briefing itself, reworded
node -e 'const b=JSON.parse(require("fs").readFileSync(process.argv[1])).brief;console.log(JSON.stringify({reply:{headline:"Refined: "+b.headline.slice(0,150),sections:b.sections}}))' "$W/b.rb" > "$W/reply.json"
curl -s -X POST --data-binary @"$W/reply.json" "$LLM/_mode" > /dev/null
req bllm -X POST -H "$AUTH" -d '{"cmd":"brief_llm","now":1,"hash":"x","prompt_hash":"y","model":"z","error":{"kind":"x"}}' "$BASE/api/call"
check '[ "$ST" = 400 ]' "POST /api/call cannot store an LLM briefing: hubd's own command ($ST)"
req brief -X POST -H "$AUTH" "$BASE/api/brief"
check '[ "$ST" = 200 ] && [ "$(jget run.called < "$W/b.brief")" = true ] && [ "$(jget brief.source < "$W/b.brief")" = llm ] && [ "$(jget brief.model < "$W/b.brief")" = fake-model ] && jget brief.headline < "$W/b.brief" | grep -q "^Refined: "' "POST /api/brief: the LLM's briefing is validated, stored and served ($ST $(jget run < "$W/b.brief"))"
req brief2 -X POST -H "$AUTH" "$BASE/api/brief"
curl -s "$LLM/_log" > "$W/llm_log.json"
check '[ "$(jget run.cached < "$W/b.brief2")" = true ] && [ "$(jget requests.length < "$W/llm_log.json")" = 1 ]' "POST /api/brief again: unchanged items, no second LLM call ($(jget run < "$W/b.brief2"))"
HUB_DB=$W/hub.db $HUB brief > "$W/brief.txt" 2>&1
check 'head -n 1 "$W/brief.txt" | grep -q "^Briefing, written by fake-model at " && grep -q "^Refined: " "$W/brief.txt" && grep -q "^Needs your reply (" "$W/brief.txt"' "hub brief prints the LLM's briefing for people ($(head -n 1 "$W/brief.txt"))"
HUB_DB=$W/hub.db $HUB brief --json > "$W/brief.json" 2>&1
check '[ "$(jget brief.source < "$W/brief.json")" = llm ]' "hub brief --json"
check '! grep -aq "$LLMKEY" /proc/$MAIN/environ && ! grep -q "$LLMKEY" "$W/hubd.log"' "the LLM key is wiped from hubd's environment and never logged"
check '! grep -q test-token "$W/llm_log.json" && [ "$(grep -o "$LLMKEY" "$W/llm_log.json" | wc -l)" = "$(grep -o "\"authorization\"" "$W/llm_log.json" | wc -l)" ]' "the LLM received no GitHub token, and its key only in the authorization header"
req ai -X POST -H "$AUTH" "$BASE/api/ai"
check '[ "$ST" = 200 ] && [ "$(jget run.ended < "$W/b.ai")" = empty ]' "POST /api/ai: the demo has no good-first issues, the queue is empty ($(jget run < "$W/b.ai"))"
check '[ "$(jget stats.tracked < "$W/b.stats")" -gt 0 ]' "before DELETE /api/data hubd holds items"
req del -X DELETE -H "$AUTH" "$BASE/api/data"
DST=$ST
req after -H "$AUTH" "$BASE/api/stats.json"
check '[ "$DST" = 200 ] && [ "$(jget ok < "$W/b.del")" = true ] && [ "$(jget rows < "$W/b.del")" -gt 0 ] && [ "$(jget stats.tracked < "$W/b.after")" = 0 ] && [ "$(sqlite3 "$W/hub.db" "SELECT count(*) FROM runs")" = 0 ]' "DELETE /api/data runs the core's purge: everything deleted, and it says how much ($DST $(cat "$W/b.del"))"
grep -q 'event=purge' "$W/hubd.log"; check '[ $? = 0 ]' "the purge is logged"
check '! grep -aq test-token "$W"/hub.db*' "the upstream token is not in the database"

# ---- 8. SIGHUP reloads the CORS list without dropping a connection -----------------------------------
printf 'cors_origins = https://new.example\n' > "$CONF"
node tests/hubd_helper.mjs keepalive "$(cat "$W/port")" $MAIN "$W/hubd.log" https://new.example > "$W/hup.txt" 2>&1
check '[ "$(cat "$W/hup.txt")" = "reused=true acao=https://new.example" ]' "SIGHUP: the new origin is allowed on the same connection ($(cat "$W/hup.txt"))"
req old -H "Origin: https://ok.example" "$BASE/healthz"
check '[ -z "$(hdr old Access-Control-Allow-Origin)" ]' "SIGHUP: the removed origin is no longer echoed"

# ---- 9. SIGTERM during a sync ------------------------------------------------------------------------
curl -s -X POST "$API/_fake/fault?kind=slow&count=100&delay_ms=10000" > /dev/null
curl -s --max-time 20 -o "$W/b.sync2" -w '%{http_code}' -X POST -H "$AUTH" "$BASE/api/sync" > "$W/sync2.status" &
SYNC=$!
i=0; while [ "$(grep -c event=sync_start "$W/hubd.log")" -lt 2 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
req overlap -X POST -H "$AUTH" "$BASE/api/sync"
check '[ "$ST" = 409 ]' "a second sync while one runs → 409 ($ST)"
rm -f "$W/slow.open"
node tests/hubd_helper.mjs slow "$(cat "$W/port")" 4 "$W/slow.open" &
SLOW=$!; PIDS="$PIDS $SLOW"
wait_for "$W/slow.open" open
kill -TERM $MAIN
gone $MAIN; rc=$?
check '[ $rc = 0 ]' "SIGTERM mid-sync, slow clients connected: hubd exits within 5 s"
kill $SLOW 2>/dev/null
wait $MAIN; rc=$?
check '[ $rc = 0 ]' "SIGTERM: exit status 0, ASan clean (rc=$rc)"
wait $SYNC
check '[ "$(cat "$W/sync2.status")" = 503 ] && [ "$(jget error.code < "$W/b.sync2")" = cancelled ]' "the waiting client is told the sync was cancelled ($(cat "$W/sync2.status") $(cat "$W/b.sync2"))"
check '[ "$(sqlite3 "$W/hub.db" "PRAGMA integrity_check")" = ok ]' "integrity_check ok after SIGTERM"
check '[ "$(HUB_DB=$W/hub.db $HUB last-run | jget run.status)" = aborted ]' "the interrupted run is recorded as aborted"
check 'grep -q "event=stopped" "$W/hubd.log" && ! grep -q "AddressSanitizer\|LeakSanitizer\|runtime error" "$W/hubd.log"' "clean stop in the log, no sanitizer report"
check '! grep -v "^ts=[0-9T:.Z-]* level=[a-z]* event=" "$W/hubd.log" | grep -q .' "every log line is logfmt with ts, level, event"
curl -s -X POST "$API/_fake/reset" > /dev/null

# ---- 10. secrets at rest, env over file, a restart completes the next run --------------------------
check '[ "$(stat -c %a "$W/hub.db.key")" = 600 ]' "the at-rest key file was created with mode 600"
echo "sealed-token-xyz" | "$HUBD" --seal --db "$W/hub.db" > "$W/token.sealed" 2> "$W/seal.err"; rc=$?
check '[ $rc = 0 ] && grep -q "^hubd-sealed-v1:" "$W/token.sealed" && ! grep -q sealed-token-xyz "$W/token.sealed"' "hubd --seal writes a sealed line, not the token ($(cat "$W/seal.err"))"
cp "$W/hub.db.key" "$W/loose.key" && chmod 644 "$W/loose.key"
HUBD_SECRET_KEY_FILE=$W/loose.key "$HUBD" --listen 127.0.0.1:0 --db "$W/loose.db" 2> "$W/loose.err" & LP=$!
gone $LP; wait $LP; rc=$?
check '[ $rc != 0 ] && grep -q "chmod 600" "$W/loose.err"' "a group/world-readable key file is refused (rc=$rc)"
printf 'api_key = %s\n' "$KEY" > "$W/secret.conf" && chmod 644 "$W/secret.conf"
"$HUBD" --config "$W/secret.conf" --listen 127.0.0.1:0 --db "$W/loose.db" 2> "$W/conf.err" & LP=$!
gone $LP; wait $LP; rc=$?
check '[ $rc != 0 ] && grep -q "readable by group or others" "$W/conf.err"' "a readable config file holding the key is refused (rc=$rc)"
chmod 600 "$W/secret.conf"
rm -f "$W/hub2.db"
HUBD_SECRET_KEY_FILE=$W/hub.db.key HUBD_GITHUB_TOKEN_FILE=$W/token.sealed HUBD_CORS_ORIGINS=https://env.example \
  HUBD_PER_IP_CONNECTIONS=2 HUBD_TIMEOUT_S=1 start_hubd "$W/hubd2.log" --config "$CONF" --db "$W/hub2.db" --log-level warn
req env -H "Origin: https://env.example" "$BASE/healthz"
check '[ "$(hdr env Access-Control-Allow-Origin)" = https://env.example ]' "the environment overrides the config file"
check '[ "$(node tests/hubd_helper.mjs idle "$(cat "$W/port")")" = closed ]' "an idle connection is closed after the timeout (timeout_s=1)"
rm -f "$W/slow.open"
node tests/hubd_helper.mjs slow "$(cat "$W/port")" 2 "$W/slow.open" &
SLOW=$!; PIDS="$PIDS $SLOW"
wait_for "$W/slow.open" open
req perip --max-time 3 "$BASE/healthz"
check '[ "$ST" = 000 ]' "per-IP limit 2: a third connection from the address is refused ($ST)"
kill $SLOW 2>/dev/null; wait $SLOW 2>/dev/null
i=0; while [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" != 200 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
req perip2 "$BASE/healthz"
check '[ "$ST" = 200 ]' "… and accepted once those close ($ST)"
req sync3 -X POST -H "$AUTH" "$BASE/api/sync"
check '[ "$ST" = 401 ] && ! grep -q "event=request" "$W/hubd2.log"' "no key in this instance: 401; --log-level warn hides request lines"
kill -TERM $HPID; gone $HPID; wait $HPID
printf 'api_key_sha256 = %s\ngithub_token_file = %s\n' "$(printf %s "$KEY" | sha256sum | cut -c1-64)" "$W/token.sealed" > "$W/secret.conf"
start_hubd "$W/hubd3.log" --config "$W/secret.conf" --db "$W/hub.db"
req h3 "$BASE/healthz"
req sync4 -X POST -H "$AUTH" "$BASE/api/sync"
check '[ "$ST" = 200 ] && [ "$(jget run.status < "$W/b.sync4")" = ok ] && grep -q "github_token=set" "$W/hubd3.log"' "restart on the interrupted db (key given as api_key_sha256): the sealed token is used, the next run completes ($ST)"
check '! grep -aq sealed-token-xyz "$W"/hub.db* "$W"/*.log' "the unsealed token is neither stored nor logged"
kill -TERM $HPID; gone $HPID; wait $HPID; rc=$?
check '[ $rc = 0 ] && ! grep -q "AddressSanitizer\|LeakSanitizer" "$W/hubd3.log"' "second instance stops cleanly (rc=$rc)"

# ---- 11. the scheduler ---------------------------------------------------------------------------------
# count FILE PATTERN: matching lines; wait_count FILE PATTERN N: up to 30 s for at least N of them
count() { grep -c "$2" "$1" 2>/dev/null || true; }
wait_count() { i=0; while [ "$(count "$1" "$2")" -lt "$3" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done; [ "$(count "$1" "$2")" -ge "$3" ]; }
sq() { sqlite3 "$S" "$1"; }
now_ms() { date +%s%3N; }
curl -s -X POST "$API/_fake/reset" > /dev/null
S=$W/sched.db
start_sched() { # start_sched LOG: hubd on $S, ingest every 2 s, no jitter, no lists
  HUBD_API_KEY=$KEY GITHUB_TOKEN=test-token HUBD_SCHEDULE_INGEST=2s HUBD_SCHEDULE_GFI=off HUBD_SCHED_JITTER_S=0 \
    start_hubd "$1" --db "$S"
}
start_sched "$W/sched.log"
SP=$HPID
# a scheduled run happens and is recorded
wait_count "$W/sched.log" "event=job_end job=ingest .*status=ok" 1
req jobs -H "$AUTH" "$BASE/api/jobs"
RUN=$(jget jobs.0.last.stats.run < "$W/b.jobs")
check '[ "$ST" = 200 ] && [ "$(jget jobs.0.job < "$W/b.jobs")" = ingest ] && [ "$(jget jobs.0.schedule < "$W/b.jobs")" = 2s ] && [ "$(jget jobs.0.last.status < "$W/b.jobs")" = ok ]' "a scheduled ingest runs and GET /api/jobs shows it recorded ($ST $(head -c 300 "$W/b.jobs"))"
check '[ -n "$RUN" ] && [ "$(sq "SELECT status FROM runs WHERE id=$RUN")" = ok ] && [ "$(sq "SELECT count(*) FROM items")" -gt 10 ]' "the job's record names its sync run, recorded ok, with the items stored (run $RUN)"
check '[ "$(jget jobs.2.job < "$W/b.jobs")" = diagnostics ] && [ "$(jget jobs.2.last.status < "$W/b.jobs")" = ok ] && [ "$(jget jobs.2.last.stats.quick_check < "$W/b.jobs")" = ok ] && [ "$(jget jobs.2.last.stats.tables.items < "$W/b.jobs")" -ge 0 ]' "the diagnostics canary ran at start and recorded quick_check and table counts"
check '[ "$(jget jobs.3.job < "$W/b.jobs")" = cleanup ] && [ "$(jget jobs.1.schedule < "$W/b.jobs")" = off ] && [ "$(jget jobs.1.last < "$W/b.jobs")" = null ]' "cleanup is scheduled; an off job never ran"
check '[ "$(jget jobs.0.next_at < "$W/b.jobs")" -gt "$(jget jobs.0.last.slot < "$W/b.jobs")" ]' "the next due time is after the last slot"
# no overlap when a run is slow: requests take 1.5 s for a while, slots keep coming every 2 s
n0=$(count "$W/sched.log" "event=job_end job=ingest")
curl -s -X POST "$API/_fake/fault?kind=slow&count=6&delay_ms=1500" > /dev/null
wait_count "$W/sched.log" "event=job_start job=ingest" $((n0 + 2))
sleep 0.5
req overlap2 -X POST -H "$AUTH" "$BASE/api/sync"
check '[ "$ST" = 409 ]' "POST /api/sync while a scheduled run is slow → 409 ($ST)"
wait_count "$W/sched.log" "event=job_end job=ingest .*status=ok" $((n0 + 4))
check '[ "$(sq "SELECT count(*) FROM job_runs a JOIN job_runs b ON a.job=b.job AND a.slot<b.slot WHERE a.job='"'ingest'"' AND b.started<a.finished")" = 0 ]' "no two ingest runs overlap (each starts after the previous finished)"
check '[ "$(sq "SELECT count(*) FROM runs a JOIN runs b ON a.id<b.id WHERE b.started<a.finished")" = 0 ]' "no two sync runs overlap at all"
check '[ "$(sq "SELECT max(coalesced) FROM job_runs WHERE job='"'ingest'"'")" -ge 1 ]' "slots that passed during the slow run coalesced into the next ($(sq "SELECT group_concat(coalesced) FROM job_runs WHERE job='ingest'"))"
check '! grep "event=job_\(start\|end\) job=ingest" "$W/sched.log" | awk "{print \$3}" | uniq -d | grep -q .' "the log alternates job_start / job_end: never two ingest runs at once"
# SIGTERM during a scheduled run: exits in time, the job is recorded as aborted
n0=$(count "$W/sched.log" "event=job_start job=ingest")
curl -s -X POST "$API/_fake/fault?kind=slow&count=100&delay_ms=10000" > /dev/null
wait_count "$W/sched.log" "event=job_start job=ingest" $((n0 + 1))
sleep 0.3
kill -TERM $SP
gone $SP; rc=$?
wait $SP; rc2=$?
T_STOP=$(now_ms)
check '[ $rc = 0 ] && [ $rc2 = 0 ] && grep -q event=stopped "$W/sched.log"' "SIGTERM during a scheduled run: exit 0 within 5 s"
check '[ "$(sq "SELECT status FROM job_runs WHERE job='"'ingest'"' ORDER BY slot DESC LIMIT 1")" = aborted ] && [ "$(sq "SELECT status FROM runs ORDER BY id DESC LIMIT 1")" = aborted ]' "… the job and its sync run are recorded as aborted"
curl -s -X POST "$API/_fake/reset" > /dev/null
# down for 5 s (two slots or more): after the restart, one run for them all
sleep 5
start_sched "$W/sched2.log"
SP=$HPID
wait_count "$W/sched2.log" "event=job_end job=ingest" 1
FIRST=$(sq "SELECT min(slot) FROM job_runs WHERE job='ingest' AND slot>$T_STOP")
check '[ -n "$FIRST" ] && [ "$(sq "SELECT count(*) FROM job_runs WHERE job='"'ingest'"' AND slot>$T_STOP AND slot<=(SELECT started FROM job_runs WHERE job='"'ingest'"' AND slot=$FIRST)")" = 1 ] && [ "$(sq "SELECT coalesced FROM job_runs WHERE job='"'ingest'"' AND slot=$FIRST")" -ge 2 ]' "missed slots run once after a restart ($(sq "SELECT coalesced FROM job_runs WHERE job='ingest' AND slot=$FIRST") coalesced)"
check 'grep -q "event=job_end job=ingest .*status=ok" "$W/sched2.log"' "… and that run completes"
kill -TERM $SP; gone $SP; wait $SP; rc=$?
check '[ $rc = 0 ] && ! grep -q "AddressSanitizer\|LeakSanitizer\|runtime error" "$W/sched.log" "$W/sched2.log"' "the scheduler's instances stop cleanly, ASan quiet"

# kill -9 during ingestion, 20 times: a 2,000-issue scenario whose requests take 60 ms each
node tests/bench_scenario.mjs "$W/scen" 20 > "$W/scen.settings"
build/fake_upstream --dir "$W/scen" --port 0 --port-file "$W/bport" > "$W/bfake.log" 2>&1 &
BF=$!; PIDS="$PIDS $BF"
wait_for "$W/bport" .
BAPI=http://127.0.0.1:$(cat "$W/bport")
S=$W/kill.db
HUB_DB=$S $HUB settings "$(cat "$W/scen.settings")" > /dev/null
: > "$W/k.prev"
lost=0; badic=0; mid=0; n=0
while [ $n -lt 20 ]; do
  n=$((n + 1))
  curl -s -X POST "$BAPI/_fake/reset" > /dev/null
  curl -s -X POST "$BAPI/_fake/fault?kind=slow&count=1000&delay_ms=60" > /dev/null
  HUBD_API_KEY=$KEY GITHUB_TOKEN=t HUB_GITHUB_API=$BAPI HUBD_SCHEDULE_INGEST=1s HUBD_SCHEDULE_GFI=off HUBD_SCHED_JITTER_S=0 \
    HUBD_SCHEDULE_DIAGNOSTICS=off start_hubd "$W/kill.log" --db "$S" || break
  wait_count "$W/kill.log" "event=job_start job=ingest" 1
  sleep 0.$(( (n * 37) % 9 + 1 ))
  kill -9 $HPID; wait $HPID 2>/dev/null
  grep -q "event=job_end job=ingest" "$W/kill.log" || mid=$((mid + 1))
  [ "$(sq "PRAGMA integrity_check")" = ok ] || badic=$((badic + 1))
  { sq "SELECT 'item '||key FROM items"; sq "SELECT 'job '||job||' '||slot FROM job_runs"; sq "SELECT 'run '||id FROM runs WHERE status<>'running'"; } | LC_ALL=C sort > "$W/k.now"
  [ -z "$(LC_ALL=C comm -23 "$W/k.prev" "$W/k.now")" ] || lost=$((lost + 1))
  mv "$W/k.now" "$W/k.prev"
done
check '[ $n = 20 ] && [ $mid -ge 18 ]' "kill -9 during ingestion 20 times ($mid of them before the run ended)"
check '[ $badic = 0 ]' "PRAGMA integrity_check ok after every kill ($badic bad)"
check '[ $lost = 0 ]' "nothing committed before a kill is lost: items, job records, finished runs ($lost kills lost rows)"
check '[ "$(sq "SELECT count(*) FROM job_runs WHERE job='"'ingest'"' AND status='"'interrupted'"'")" -ge 17 ] && [ "$(sq "SELECT count(*) FROM runs WHERE status='"'aborted'"'")" -ge 17 ]' "the killed runs are recorded as interrupted (jobs) and aborted (runs) at the next start"
curl -s -X POST "$BAPI/_fake/reset" > /dev/null
HUBD_API_KEY=$KEY GITHUB_TOKEN=t HUB_GITHUB_API=$BAPI HUBD_SCHEDULE_INGEST=1s HUBD_SCHEDULE_GFI=off HUBD_SCHED_JITTER_S=0 \
  start_hubd "$W/kill2.log" --db "$S"
wait_count "$W/kill2.log" "event=job_end job=ingest .*status=ok" 1
check '[ "$(sq "SELECT count(*) FROM items")" = 2000 ] && [ "$(sq "PRAGMA integrity_check")" = ok ]' "after the kills the next run completes: all 2,000 issues stored ($(sq "SELECT count(*) FROM items"))"
kill -TERM $HPID; gone $HPID; wait $HPID; rc=$?
check '[ $rc = 0 ] && ! grep -q "AddressSanitizer\|LeakSanitizer\|runtime error" "$W/kill2.log"' "… and hubd stops cleanly"

echo "$P passed, $F failed"
[ "$F" = 0 ]
