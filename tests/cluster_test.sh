#!/bin/sh
# cluster_test.sh — hubd for many users: a throwaway PostgreSQL on 127.0.0.1 (tests/pg_cluster.sh),
# three hubd nodes (ASan build) and the fake upstream serving generated users
# (tests/gen_users_upstream.mjs); then the same per-user API against a single-user hubd on SQLite,
# where it applies.
# usage: cluster_test.sh WORKDIR        (run from the repository root, after make)
# Checks: each due job of 50 users runs exactly once across the nodes (hub_job_runs, node logs,
# upstream requests); a NOTIFY from one node reaches the others and wakes them; kill -9 of the node
# holding a lease → another node finishes after the lease expires, nothing lost or duplicated; the
# leader killed → another takes the sweeps; user A's key can't read (or delete) user B; login
# new / ghost / existing; start, restart, progress, data; for-you excludes the viewer's own,
# marks ghosts, sinks with fatigue and heals with a reaction; gallery shapes and checks; DELETE
# removes every row of the user in every table (a query over all of them) and the image files.
# Skips (says so, counts nothing) when PostgreSQL's server cannot be found.
set -u
W=$1
HUBD=${HUBD_BIN:-build/asan/hubd}
. tests/checks.sh
# req NAME CURL-ARGS…: status in $ST, body in $W/b.NAME
req() { n=$1; shift; ST=$(curl -s --max-time 20 -o "$W/b.$n" -w '%{http_code}' "$@"); }
body() { cat "$W/b.$1"; }
wait_for() { i=0; while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; grep -q "$2" "$1"; }
# until_sql SQL EXPECTED [TRIES]: polls PostgreSQL every 0.2 s until SQL prints EXPECTED
until_sql() { i=0; while [ "$(q "$1")" != "$2" ] && [ $i -lt "${3:-300}" ]; do sleep 0.2; i=$((i + 1)); done; [ "$(q "$1")" = "$2" ]; }

rm -rf "$W" && mkdir -p "$W"
PIDS=""
cleanup() { for p in $PIDS; do kill -9 $p 2>/dev/null; done; sh tests/pg_cluster.sh stop "$W/pg" 2>/dev/null; }
trap cleanup EXIT INT TERM HUP PIPE

URL=$(sh tests/pg_cluster.sh start "$W/pg" fast); rc=$?
if [ $rc = 77 ]; then
  echo "SKIP cluster tests: PostgreSQL's server is not installed (Debian package postgresql)"
  echo "0 passed, 0 failed"
  exit 0
fi
[ $rc = 0 ] || { echo "FAIL PostgreSQL did not start"; echo "0 passed, 1 failed"; exit 1; }
q() { psql -X -q -At "$URL" -c "$1" 2>&1; }

node tests/gen_users_upstream.mjs "$W/up" 60 > /dev/null
build/fake_upstream --dir "$W/up" --port 0 --port-file "$W/fport" > "$W/fake.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$W/fport" . || { echo "FAIL the fake upstream did not start"; echo "0 passed, 1 failed"; exit 1; }
API=http://127.0.0.1:$(cat "$W/fport")

KEY=adm-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
ADMIN="Authorization: Bearer $KEY"
# start_node NAME [VAR=VALUE…]: a node with its own SQLite file, state dir and log; NODE_<NAME>
# gets its pid, BASE_<NAME> its URL. Long periods and a long poll: work is found by NOTIFY.
start_node() {
  name=$1; shift
  rm -f "$W/$name.port"
  env HUBD_API_KEY=$KEY HUB_GITHUB_API=$API HUBD_DATABASE_URL=$URL HUBD_NODE_ID=$name HUBD_LEASE_S=3 \
    HUBD_POLL_MS=60000 HUBD_SWEEP_S=1 HUBD_WORKERS=2 HUBD_PG_POOL=3 "$@" \
    "$HUBD" --listen 127.0.0.1:0 --port-file "$W/$name.port" --db "$W/$name.db" --root web 2>> "$W/$name.log" &
  pid=$!; PIDS="$PIDS $pid"
  eval "NODE_$name=$pid"
  wait_for "$W/$name.port" . || { echo "FAIL node $name did not start: $(tail -n 3 "$W/$name.log")"; return 1; }
  eval "BASE_$name=http://127.0.0.1:$(cat "$W/$name.port")"
}
start_node n1 && start_node n2 && start_node n3 || { echo "$P passed, $((F + 1)) failed"; exit 1; }
check '[ "$(q "SELECT version FROM hub_schema")" = 1 ]' "three nodes started together migrate the schema once ($(q "SELECT count(*) FROM hub_schema") rows)"
until_sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $((0x68756202))" 1 50
check '[ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = '"'advisory'"' AND objid = $((0x68756202)) AND granted")" = 1 ]' "exactly one node holds the leader lock"

# ---- 1. fifty users, every due job once across the nodes --------------------------------------------
i=1
while [ $i -le 50 ]; do
  u=u$(printf %03d $i)
  case $((i % 3)) in 0) b=$BASE_n1 ;; 1) b=$BASE_n2 ;; *) b=$BASE_n3 ;; esac
  curl -s -X POST -H "$ADMIN" "$b/users/$u/login" > "$W/login.$u"
  i=$((i + 1))
done
check '[ "$(cat "$W"/login.u0* | grep -o "\"state\":\"new\",\"key\":\"hu_" | wc -l)" = 50 ]' "50 logins: new users (201), each with a key"
until_sql "SELECT count(*) FROM hub_jobs WHERE runs = 0" 0 400
check '[ "$(q "SELECT count(*) FROM hub_job_runs")" = 150 ]' "150 due jobs (3 × 50 users) recorded ($(q "SELECT count(*) FROM hub_job_runs"))"
check '[ "$(q "SELECT count(*) FROM (SELECT login, kind FROM hub_job_runs GROUP BY 1, 2 HAVING count(*) <> 1) x")" = 0 ]' "each user's job ran exactly once"
starts=$(cat "$W"/n1.log "$W"/n2.log "$W"/n3.log | grep -c "event=job_start")
check '[ "$starts" = 150 ]' "… and was started exactly once across the three nodes ($starts job_start lines)"
check '! grep -qE "event=job_(lost|commit_failed|retry)" "$W"/n*.log' "no job lost its lease, failed its commit or was retried"
curl -s "$API/_fake/stats" > "$W/fstats.json"
nrepos=$(node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1]));const m={};for(const r of s.log)if(/^\/users\/u0\d\d\/repos/.test(r.path))m[r.path]=(m[r.path]||0)+1;const v=Object.values(m);console.log(v.length+" "+v.every(x=>x===1))' "$W/fstats.json")
check '[ "$nrepos" = "50 true" ]' "the upstream saw each user's repositories asked once ($nrepos)"
nodes=$(q "SELECT count(DISTINCT node) FROM hub_job_runs")
check '[ "$nodes" -ge 2 ]' "the nodes shared the work ($nodes nodes ran jobs: $(q "SELECT string_agg(node || '=' || n, ' ') FROM (SELECT node, count(*) n FROM hub_job_runs GROUP BY 1 ORDER BY 1) x"))"
check '[ "$(q "SELECT count(*) FROM hub_users WHERE status = '"'ready'"'")" = 50 ] && [ "$(q "SELECT count(*) FROM hub_user_state WHERE version = 1")" = 50 ]' "every user ready, each image written once (version 1)"

# ---- 2. NOTIFY: a login on n1 wakes the others ----------------------------------------------------------
req l51 -X POST -H "$ADMIN" "$BASE_n1/users/u051/login"
until_sql "SELECT count(*) FROM hub_jobs WHERE login = 'u051' AND runs = 1" 3 100
check '[ "$(q "SELECT count(*) FROM hub_jobs WHERE login = '"'u051'"' AND runs = 1")" = 3 ]' "a new user's jobs ran although every worker was asleep for a minute (woken by NOTIFY)"
check 'grep -q "event=notify node=n2 channel=hub_jobs payload=\"n1 u051\"" "$W/n2.log" && grep -q "event=notify node=n3 channel=hub_jobs payload=\"n1 u051\"" "$W/n3.log"' "n1's NOTIFY reached n2 and n3"

# ---- 3. kill -9 of the node holding a lease ------------------------------------------------------------------
curl -s -X POST "$API/_fake/fault?kind=slow&count=1&delay_ms=20000&path=/users/u052/repos" > /dev/null
req l52 -X POST -H "$ADMIN" "$BASE_n2/users/u052/login"
until_sql "SELECT lease_node IS NOT NULL FROM hub_jobs WHERE login = 'u052' AND kind = 'repos'" t 100
holder=$(q "SELECT lease_node FROM hub_jobs WHERE login = 'u052' AND kind = 'repos'")
eval "hpid=\$NODE_$holder"
kill -9 "$hpid"; wait "$hpid" 2>/dev/null
until_sql "SELECT runs FROM hub_jobs WHERE login = 'u052' AND kind = 'repos'" 1 150
run=$(q "SELECT node || ' ' || attempt FROM hub_job_runs WHERE login = 'u052' AND kind = 'repos'")
check '[ "$(q "SELECT count(*) FROM hub_job_runs WHERE login = '"'u052'"' AND kind = '"'repos'"'")" = 1 ] && [ "${run%% *}" != "$holder" ] && [ "${run#* }" = 2 ]' "after kill -9 of $holder (the lease holder) another node finished the job once, at attempt 2 ($run)"
check '[ "$(q "SELECT count(*) FROM hub_repos WHERE login = '"'u052'"'")" = 3 ] && [ "$(q "SELECT count(*) FROM hub_job_runs WHERE login = '"'u052'"'")" = 3 ]' "nothing lost or duplicated: u052's 3 repositories and 3 job runs"
check 'grep -q "event=job_start user=u052 job=repos.*took_over=$holder" "$W"/n*.log' "the new holder says whose expired lease it took over"
# the killed node comes back under a new name
start_node n4 || bad "n4 did not start"

# ---- 4. the leader killed → another leads the sweeps ----------------------------------------------------------
until_sql "SELECT leader IN ('n1','n2','n3','n4') AND leader <> '$holder' FROM hub_cluster" t 100
leader=$(q "SELECT leader FROM hub_cluster")
eval "lpid=\$NODE_$leader"
kill -9 "$lpid"; wait "$lpid" 2>/dev/null
until_sql "SELECT leader <> '$leader' FROM hub_cluster" t 100
sweeps=$(q "SELECT sweeps FROM hub_cluster")
until_sql "SELECT sweeps > $sweeps FROM hub_cluster" t 50
newl=$(q "SELECT leader FROM hub_cluster")
check '[ "$newl" != "$leader" ] && [ "$(q "SELECT sweeps > $sweeps FROM hub_cluster")" = t ] && grep -q "event=leader node=$newl" "$W/$newl.log"' "leader $leader killed: $newl took the lock and sweeps on"
start_node n5 || bad "n5 did not start"
# the nodes alive now
LIVE=""
for n in n1 n2 n3 n4 n5; do eval "pid=\$NODE_$n"; kill -0 "$pid" 2>/dev/null && LIVE="$LIVE $n"; done
set -- $LIVE; NA=$1; NB=$2
eval "A=\$BASE_$NA"; eval "B=\$BASE_$NB"

# ---- 5. keys: user A cannot read user B ---------------------------------------------------------------------
KA=$(jget key < "$W/login.u001"); KB=$(jget key < "$W/login.u002")
req a_own -H "Authorization: Bearer $KA" "$A/users/u001/data"
check '[ "$ST" = 200 ] && [ "$(jget login < "$W/b.a_own")" = u001 ]' "A's key reads A's data ($ST)"
req a_b -H "Authorization: Bearer $KA" "$A/users/u002/data"
check '[ "$ST" = 401 ] && ! grep -q u002/alpha "$W/b.a_b"' "A's key on B's data: 401, nothing of B ($ST)"
for path in progress activity; do
  req a_b2 -H "Authorization: Bearer $KA" "$B/users/u002/$path"
  check '[ "$ST" = 401 ]' "A's key on B's $path: 401 ($ST)"
done
req a_fy -H "Authorization: Bearer $KA" "$A/for-you/u002"
check '[ "$ST" = 401 ]' "A's key on B's feed: 401 ($ST)"
req a_del -X DELETE -H "Authorization: Bearer $KA" "$A/users/u002"
check '[ "$ST" = 401 ] && [ "$(q "SELECT count(*) FROM hub_users WHERE login = '"'u002'"'")" = 1 ]' "A's key cannot delete B ($ST)"
req a_gal -X POST -H "Authorization: Bearer $KA" "$A/users/u002/repos/u002/alpha/gallery" -d '{"url":"https://img.example.com/x.png"}'
check '[ "$ST" = 401 ]' "A's key cannot add to B's gallery ($ST)"
req a_ghost -X POST -H "Authorization: Bearer $KA" "$A/ghost-users/u060"
check '[ "$ST" = 401 ]' "a user's key cannot make ghosts ($ST)"
req nokey "$A/users/u001/data"
check '[ "$ST" = 401 ]' "no key: 401 ($ST)"
req wrong -H "Authorization: Bearer hu_not-a-key" "$A/users/u001/data"
check '[ "$ST" = 401 ]' "a wrong key: 401 ($ST)"
req nobody -H "Authorization: Bearer $KA" "$A/users/u059/data"
check '[ "$ST" = 401 ]' "a user's key on someone who does not exist: 401, not 404 (existence is not revealed) ($ST)"
req unknown -H "$ADMIN" "$A/users/u059/data"
check '[ "$ST" = 404 ] && grep -q "unknown user u059" "$W/b.unknown"' "hubd's key on an unknown user: 404 with the reason ($ST $(body unknown))"
req badname -H "$ADMIN" "$A/users/bad_name!/data"
check '[ "$ST" = 400 ]' "a name GitHub would refuse: 400 ($ST)"
req toolong -H "$ADMIN" "$A/users/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/progress"
check '[ "$ST" = 400 ]' "a 40-character login: 400 ($ST)"
req relogin -X POST -H "Authorization: Bearer $KA" "$B/users/u001/login"
check '[ "$ST" = 200 ] && [ "$(jget state < "$W/b.relogin")" = existing ] && [ "$(jget key < "$W/b.relogin")" = undefined ]' "existing user logs in with their key: ready, no new key ($ST $(body relogin))"
req act -H "Authorization: Bearer $KA" "$A/users/u001/activity"
check '[ "$ST" != 401 ] && [ "$ST" != 404 ] && [ "$ST" != 500 ]' "activity with the user's key passes to the core's activity command ($ST $(body act))"
req act404 -H "$ADMIN" "$A/users/u059/activity"
check '[ "$ST" = 404 ]' "activity of an unknown user: 404 ($ST)"

# ---- 6. progress, data, start, restart ---------------------------------------------------------------------------
req prog -H "Authorization: Bearer $KA" "$B/users/u001/progress"
check '[ "$ST" = 200 ] && [ "$(jget status < "$W/b.prog")" = ready ] && [ "$(jget jobs.length < "$W/b.prog")" = 3 ] && [ "$(jget jobs.0.runs < "$W/b.prog")" = 1 ]' "progress: ready, three jobs run once ($ST)"
req data -H "Authorization: Bearer $KA" "$B/users/u001/data"
check '[ "$ST" = 200 ] && [ "$(jget cards.0.key < "$W/b.data")" = "github.com/u001/alpha#1" ] && [ "$(jget stats.tracked < "$W/b.data")" = 1 ]' "data: the user's card from the core, read on another node ($(jget cards.0.key < "$W/b.data"))"
check '[ "$(jget repos.length < "$W/b.data")" = 3 ] && [ "$(jget repos.0.is_highlight < "$W/b.data")" = true ] && node -e "const d=JSON.parse(require(\"fs\").readFileSync(process.argv[1]));process.exit(d.repos.find(r=>r.repo===\"u001/upstream-fork\").is_highlight?1:0)" "$W/b.data"' "data: repositories with highlights; the fork is none"
req start -X POST -H "Authorization: Bearer $KA" "$A/users/u001/start"
check '[ "$ST" = 202 ] && [ "$(jget queued.length < "$W/b.start")" = 3 ]' "start: every job queued ($ST)"
until_sql "SELECT count(*) FROM hub_job_runs WHERE login = 'u001'" 6 150
check '[ "$(q "SELECT count(*) FROM hub_job_runs WHERE login = '"'u001'"'")" = 6 ] && [ "$(q "SELECT version FROM hub_user_state WHERE login = '"'u001'"'")" = 2 ]' "start ran each job once more: the image is at version 2"
req restart -X POST -H "Authorization: Bearer $KA" "$A/users/u001/restart"
check '[ "$ST" = 202 ] && [ "$(jget cleared.state < "$W/b.restart")" = 1 ] && [ "$(jget cleared.repos < "$W/b.restart")" = 3 ]' "restart clears the image and repositories ($ST $(body restart))"
until_sql "SELECT status FROM hub_users WHERE login = 'u001'" ready 150
check '[ "$(q "SELECT version FROM hub_user_state WHERE login = '"'u001'"'")" = 1 ] && [ "$(q "SELECT count(*) FROM hub_repos WHERE login = '"'u001'"'")" = 3 ]' "… and runs everything again: a fresh image (version 1), repositories back"

# ---- 7. ghosts ----------------------------------------------------------------------------------------------------
req ghost -X POST -H "$ADMIN" "$A/ghost-users/u053"
check '[ "$ST" = 201 ] && [ "$(jget kind < "$W/b.ghost")" = ghost ]' "a ghost is made ($ST)"
until_sql "SELECT status FROM hub_users WHERE login = 'u053'" ready 150
check '[ "$(q "SELECT count(*) FROM hub_jobs WHERE login = '"'u053'"'")" = 2 ]' "a ghost is processed (ingest, repos) but has no feed of its own"
req ghost2 -X POST -H "$ADMIN" "$B/ghost-users/u001"
check '[ "$ST" = 409 ]' "a user cannot become a ghost ($ST)"
req fyb -X POST -H "$ADMIN" "$A/for-you/u003"
req fy -H "Authorization: Bearer $(jget key < "$W/login.u003")" "$B/for-you/u003?limit=50"
check '[ "$ST" = 200 ] && node -e "const d=JSON.parse(require(\"fs\").readFileSync(process.argv[1]));const g=d.items.filter(x=>x.author===\"u053\");process.exit(g.length>0&&g.every(x=>x.is_ghost===true)?0:1)" "$W/b.fy"' "the ghost's highlights reach others' feeds, marked is_ghost"
check 'node -e "const d=JSON.parse(require(\"fs\").readFileSync(process.argv[1]));const c={};for(const x of d.items){if(x.author===\"u003\"||x.repo.startsWith(\"u003/\"))process.exit(1);c[x.author]=(c[x.author]||0)+1}process.exit(Object.values(c).every(n=>n<=2)&&d.items.length===50?0:1)" "$W/b.fy"' "the feed excludes the viewer's own and has at most two entries per author"
req glogin -X POST -H "$ADMIN" "$B/users/u053/login"
check '[ "$ST" = 200 ] && [ "$(jget state < "$W/b.glogin")" = activated ] && [ "$(jget status < "$W/b.glogin")" = ready ] && [ -n "$(jget key < "$W/b.glogin")" ]' "the ghost logs in: active at once, ready, with a key ($(body glogin))"

# ---- 8. for-you fatigue ---------------------------------------------------------------------------------------------
K3="Authorization: Bearer $(jget key < "$W/login.u003")"
req f0 -H "$K3" "$A/for-you/u003?limit=1"
top=$(jget items.0.repo < "$W/b.f0"); last=$top; k=0
while [ "$last" = "$top" ] && [ $k -lt 10 ]; do
  req fk -H "$K3" "$A/for-you/u003?limit=1"; last=$(jget items.0.repo < "$W/b.fk"); k=$((k + 1))
done
req fall -H "$K3" "$A/for-you/u003?limit=100"
fat=$(node -e "const d=JSON.parse(require('fs').readFileSync(process.argv[1]));const x=d.items.find(i=>i.repo===process.argv[2]);console.log(x?x.fatigue+' '+x.shown:'none')" "$W/b.fall" "$top")
check '[ "$last" != "$top" ] && [ "${fat% *}" != 1 ] && [ "${fat#* }" -ge 2 ]' "an item shown often without a reaction sinks: $top gave the top to $last after $((k + 1)) shows (fatigue, shown: $fat)"
req react -X POST -H "$K3" "$A/for-you/u003/reactions" -d "{\"author\":\"$(echo "$top" | cut -d/ -f1)\",\"repo\":\"$top\",\"reaction\":\"like\"}"
req fr -H "$K3" "$A/for-you/u003?limit=100"
fat2=$(node -e "const d=JSON.parse(require('fs').readFileSync(process.argv[1]));const x=d.items.find(i=>i.repo===process.argv[2]);console.log(x?x.fatigue:'none')" "$W/b.fr" "$top")
check '[ "$ST" = 200 ] && [ "$fat2" = 1 ]' "a reaction resets its fatigue ($fat2)"
req hide -X POST -H "$K3" "$A/for-you/u003/reactions" -d "{\"author\":\"$(echo "$top" | cut -d/ -f1)\",\"repo\":\"$top\",\"reaction\":\"hide\"}"
req fh -H "$K3" "$A/for-you/u003?limit=100"
check '[ "$ST" = 200 ] && ! grep -q "\"repo\":\"$top\"" "$W/b.fh"' "hide removes it from the feed"
req rbad -X POST -H "$K3" "$A/for-you/u003/reactions" -d '{"author":"u004","repo":"u004/nope","reaction":"like"}'
check '[ "$ST" = 404 ]' "a reaction to something not in the feed: 404 ($ST)"

# ---- 9. gallery ----------------------------------------------------------------------------------------------------------
G="$A/users/u004/repos/u004/alpha/gallery"
K4="Authorization: Bearer $(jget key < "$W/login.u004")"
req g1 -X POST -H "$K4" "$G" -d '{"url":"https://img.example.com/1.png","caption":"first","taken_at":"2025-06-01"}'
check '[ "$ST" = 201 ] && [ "$(jget added < "$W/b.g1")" = 1 ] && [ "$(jget images.0.taken_at < "$W/b.g1")" = 1748736000000 ]' "POST one image: added ($ST)"
req g2 -X POST -H "$K4" "$G" -d '{"images":[{"url":"https://img.example.com/1.png"},{"url":"https://img.example.com/2.png","is_highlight":true,"link":"https://example.com/demo"},{"url":"https://img.example.com/2.png"}]}'
check '[ "$ST" = 201 ] && [ "$(jget added < "$W/b.g2")" = 1 ] && [ "$(jget duplicates < "$W/b.g2")" = 2 ] && [ "$(jget images.length < "$W/b.g2")" = 2 ]' "POST images[]: the same URL is kept once ($(body g2))"
for bad in '{"url":"http://img.example.com/3.png"}' '{"url":"https://10.1.2.3/3.png"}' '{"url":"https://img.example.com/3.png","size":1}' '{"images":[]}' 'not json'; do
  req gbad -X POST -H "$K4" "$G" -d "$bad"
  check '[ "$ST" = 400 ]' "refused: $bad ($ST)"
done
req gp -X PATCH -H "$K4" "$G" -d '{"url":"https://img.example.com/1.png","caption":"renamed","is_highlight":true}'
check '[ "$ST" = 200 ] && [ "$(jget images.0.caption < "$W/b.gp")" = renamed ]' "PATCH changes the fields given ($ST)"
req gp404 -X PATCH -H "$K4" "$G" -d '{"url":"https://img.example.com/none.png","caption":"x"}'
check '[ "$ST" = 404 ]' "PATCH of an unknown image: 404 ($ST)"
req gfork -X POST -H "$K4" "$A/users/u004/repos/u004/upstream-fork/gallery" -d '{"url":"https://img.example.com/f.png","is_highlight":true}'
req d4 -H "$K4" "$A/users/u004/data"
check 'node -e "const d=JSON.parse(require(\"fs\").readFileSync(process.argv[1]));const f=d.repos.find(r=>r.repo===\"u004/upstream-fork\");process.exit(f.is_highlight&&f.why===\"gallery\"&&d.gallery.length===3?0:1)" "$W/b.d4"' "an image marked is_highlight makes its repository a highlight (why: gallery)"
req gother -X POST -H "$K4" "$A/users/u004/repos/u005/alpha/gallery" -d '{"url":"https://img.example.com/o.png"}'
check '[ "$ST" = 404 ]' "a repository not the user's: 404 ($ST)"
req fyimg -X POST -H "$K3" "$A/for-you/u003"
req fyi -H "$K3" "$A/for-you/u003?limit=100"
check 'node -e "const d=JSON.parse(require(\"fs\").readFileSync(process.argv[1]));const x=d.items.find(i=>i.repo===\"u004/alpha\");process.exit(x&&x.images.length===2?0:1)" "$W/b.fyi"' "gallery images travel with the repository into others' feeds"
req gd -X DELETE -H "$K4" "$G" -d '{"url":"https://img.example.com/2.png"}'
check '[ "$ST" = 200 ] && [ "$(jget deleted < "$W/b.gd")" = 1 ]' "DELETE one image by url ($ST)"
req gda -X DELETE -H "$K4" "$G"
check '[ "$ST" = 200 ] && [ "$(jget deleted < "$W/b.gda")" = 1 ] && [ "$(jget images.length < "$W/b.gda")" = 0 ]' "DELETE without a body: every image of the repository ($ST)"

# ---- 10. delete: every row of the user, in every table --------------------------------------------------------------
K2="Authorization: Bearer $KB"
curl -s -X POST -H "$K2" "$A/users/u002/repos/u002/alpha/gallery" -d '{"url":"https://img.example.com/b.png"}' > /dev/null
curl -s -H "Authorization: Bearer $KA" "$B/for-you/u001?limit=100" > /dev/null   # exposures of u002's repos
curl -s -H "$K2" "$B/users/u002/data" > /dev/null                                # its image in B's cache
before=$(q "SELECT count(*) FROM hub_exposures WHERE author = 'u002'")
req del -X DELETE -H "$K2" "$A/users/u002"
check '[ "$ST" = 200 ] && [ "$(jget deleted.users < "$W/b.del")" = 1 ] && [ "$(jget deleted.gallery < "$W/b.del")" = 1 ] && [ "$(jget deleted.jobs < "$W/b.del")" = 3 ]' "DELETE /users/u002 says what went ($(body del))"
# every table with a column naming a user, counted for u002
sql=$(q "SELECT string_agg(format('SELECT %L AS t, count(*) AS n FROM %I WHERE %I = %L', table_name, table_name, column_name, 'u002'), ' UNION ALL ') FROM information_schema.columns WHERE table_schema = 'public' AND column_name IN ('login', 'viewer', 'author')")
left=$(q "SELECT coalesce(sum(n), -1) FROM ($sql) x")
tables=$(q "SELECT count(DISTINCT table_name) FROM information_schema.columns WHERE table_schema = 'public' AND column_name IN ('login', 'viewer', 'author')")
check '[ "$left" = 0 ] && [ "$tables" -ge 8 ] && [ "$before" -ge 1 ]' "no row of u002 left in any of the $tables tables that name a user ($left rows; it had $before exposures in others' feeds)"
check '[ -z "$(q "SELECT 1 FROM hub_user_state WHERE encode(image, '"'escape'"') LIKE '"'%u002/alpha%'"' LIMIT 1")" ]' "no other user's image holds u002's data"
sleep 0.5
check '! ls "$W"/*.db.users/ 2>/dev/null | grep -q u002' "every node dropped u002's image files (NOTIFY hub_users)"
req gone -H "$K2" "$A/users/u002/data"
check '[ "$ST" = 401 ]' "u002's key is gone with it ($ST)"
req gone2 -H "$ADMIN" "$B/users/u002/data"
check '[ "$ST" = 404 ]' "and u002 is unknown ($ST)"

# ---- 11. stop: SIGTERM; then highlights refined by the (fake) LLM on a node of its own -------------------------
for n in $LIVE; do
  eval "pid=\$NODE_$n"
  kill -TERM "$pid"; wait "$pid"; rc=$?
  check '[ $rc = 0 ]' "node $n stops on SIGTERM (rc $rc)"
done
build/fake_llm --port 0 --port-file "$W/lport" > "$W/fake_llm.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$W/lport" .
LLM=http://127.0.0.1:$(cat "$W/lport")
curl -s -X POST -d '{"mode":"good","reply":{"picks":[{"repo":"u054/beta","why":"the newest\nwork"}]}}' "$LLM/_mode" > /dev/null
start_node n6 HUB_LLM_PROVIDER=openai HUB_LLM_BASE_URL=$LLM/v1 HUB_LLM_MODEL=fake-model HUB_LLM_API_KEY=sk-test || bad "n6 did not start"
req l54 -X POST -H "$ADMIN" "$BASE_n6/users/u054/login"
until_sql "SELECT runs FROM hub_jobs WHERE login = 'u054' AND kind = 'repos'" 1 100
check '[ "$(q "SELECT string_agg(repo || '"'='"' || why, '"','"' ORDER BY repo) FROM hub_repos WHERE login = '"'u054'"' AND highlight")" = "u054/beta=llm: the newest work" ]' "with an LLM configured it picks among the rules' candidates, with a reason ($(q "SELECT string_agg(repo || '=' || coalesce(why, ''), ',') FROM hub_repos WHERE login = 'u054' AND highlight"))"
curl -s -X POST -d '{"mode":"good","reply":{"picks":[{"repo":"evil/repo","why":"trust me"}]}}' "$LLM/_mode" > /dev/null
req r54 -X POST -H "$ADMIN" "$BASE_n6/users/u054/restart"
until_sql "SELECT status FROM hub_users WHERE login = 'u054'" ready 150
check '[ "$(q "SELECT string_agg(repo, '"','"' ORDER BY repo) FROM hub_repos WHERE login = '"'u054'"' AND highlight")" = "u054/alpha,u054/beta" ] && [ -z "$(q "SELECT 1 FROM hub_repos WHERE repo LIKE '"'evil/%'"'")" ]' "an LLM answer naming a repository that is not a candidate is refused: the rules' picks stand"
kill -TERM "$NODE_n6"; wait "$NODE_n6"
check '! grep -l "AddressSanitizer\|LeakSanitizer\|runtime error" "$W"/n*.log' "no sanitizer findings in any node's log"
check '[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE '"'hubd:%'"'")" = 0 ]' "stopped nodes leave no connection behind"

# ---- 12. the same API on a single-user hubd (SQLite), where it applies ----------------------------------------------
build/fake_upstream --dir tests/exchanges/demo --port 0 --port-file "$W/dport" > "$W/dfake.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$W/dport" .
HUBD_API_KEY=$KEY HUB_GITHUB_API=http://127.0.0.1:$(cat "$W/dport") GITHUB_TOKEN=t HUBD_SCHEDULE_INGEST=off HUBD_SCHEDULE_GFI=off \
  "$HUBD" --listen 127.0.0.1:0 --port-file "$W/s.port" --db "$W/single.db" --root web 2> "$W/single.log" &
SPID=$!; PIDS="$PIDS $SPID"
wait_for "$W/s.port" .
S=http://127.0.0.1:$(cat "$W/s.port")
curl -s -X POST -H "$ADMIN" "$S/api/sync" > /dev/null  # learns its login (octocat) from the token
req s_login -X POST -H "$ADMIN" "$S/users/OctoCat/login"
check '[ "$ST" = 200 ] && [ "$(jget state < "$W/b.s_login")" = existing ]' "single-user: login of its own user ($ST)"
req s_nokey "$S/users/octocat/data"
check '[ "$ST" = 401 ]' "single-user: no key, 401 ($ST)"
req s_other -H "$ADMIN" "$S/users/someone/data"
check '[ "$ST" = 404 ] && grep -q "one user" "$W/b.s_other"' "single-user: another user is unknown, with the reason ($ST)"
req s_bad -H "$ADMIN" "$S/users/bad_name!/data"
check '[ "$ST" = 400 ]' "single-user: a malformed login, 400 ($ST)"
req s_data -H "$ADMIN" "$S/users/octocat/data"
check '[ "$ST" = 200 ] && [ "$(jget cards.length < "$W/b.s_data")" -gt 10 ] && [ "$(jget stats.tracked < "$W/b.s_data")" -gt 10 ]' "single-user: data in the same shape ($ST, $(jget cards.length < "$W/b.s_data") cards)"
req s_prog -H "$ADMIN" "$S/users/octocat/progress"
check '[ "$ST" = 200 ] && [ "$(jget status < "$W/b.s_prog")" = ready ] && [ "$(jget jobs.length < "$W/b.s_prog")" -ge 1 ]' "single-user: progress lists the scheduler's jobs ($ST)"
req s_start -X POST -H "$ADMIN" "$S/users/octocat/start"
check '[ "$ST" = 200 ] && [ "$(jget run.status < "$W/b.s_start")" = ok ]' "single-user: start runs a sync ($ST)"
for r in "POST /ghost-users/x" "GET /for-you/octocat" "POST /users/octocat/repos/octocat/Hello-World/gallery" "POST /users/octocat/restart"; do
  req s_501 -X "${r% *}" -H "$ADMIN" "$S${r#* }" -d '{}'
  check '[ "$ST" = 501 ] && grep -q database_url "$W/b.s_501"' "single-user: $r needs many users, 501 ($ST)"
done
req s_del -X DELETE -H "$ADMIN" "$S/users/octocat"
req s_after -H "$ADMIN" "$S/api/stats.json"
check '[ "$ST" = 200 ] && [ "$(jget stats.tracked < "$W/b.s_after")" = 0 ]' "single-user: DELETE /users/{u} purges everything ($(body s_del))"
kill -TERM $SPID; wait $SPID
check '! grep -q "AddressSanitizer\|LeakSanitizer\|runtime error" "$W/single.log"' "single-user hubd: no sanitizer findings"

echo "$P passed, $F failed"
[ "$F" = 0 ]
