# checks.sh — the counters and checks the shell test suites share (sourced: `. tests/checks.sh`).
#   ok / bad MSG      count a passed / failed check (a failure prints "FAIL MSG")
#   check EXPR MSG    evaluates EXPR and counts it; with VERBOSE set, passes print "ok   MSG"
#   jget PATH         stdin's JSON, the value at the dotted PATH (objects and arrays as JSON)
# The suite prints "$P passed, $F failed" at its end, as tests/run_tests.sh reads it.
P=0; F=0
ok() { P=$((P + 1)); }
bad() { F=$((F + 1)); echo "FAIL $*"; }
check() { if eval "$1"; then ok; [ -z "${VERBOSE:-}" ] || echo "ok   $2"; else bad "$2"; fi; }
jget() { node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{let v=JSON.parse(d);for(const k of process.argv[1].split("."))v=v==null?v:v[k];console.log(typeof v==="object"?JSON.stringify(v):v)})' "$1"; }
