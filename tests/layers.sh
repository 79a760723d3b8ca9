#!/bin/sh
# layers.sh — the core's layering, checked from the objects' symbol tables (nm).
#
# Layers, bottom to top: base db rank items triage sync sources tip brief notify replica api (src/<layer>/). A module (one
# object file) may call only modules of its own layer or below, and no two modules may depend
# on each other in a cycle. Prints one line per violation, then "layers: N passed, N failed".
# usage: layers.sh [OBJDIR]   (default build/native/src)
set -u
D=${1:-build/native/src}
LAYERS="base db rank items triage sync sources tip brief notify replica api"
tmp=${TMPDIR:-/tmp}/hub-layers.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
for l in $LAYERS; do
  [ -d "$D/$l" ] || { echo "FAIL no objects in $D/$l (build first)"; echo "layers: 0 passed, 1 failed"; exit 1; }
  for o in "$D/$l"/*.o; do
    m=$l/$(basename "$o" .o)
    nm -g "$o" | awk -v m="$m" -v r="$n" '$1=="U"{print "U", m, r, $2; next} NF==3{print "D", m, r, $3}'
  done
  n=$((n + 1))
done > "$tmp/syms"
awk '
  $1=="D" { def[$4]=$2; rank[$2]=$3 }
  $1=="U" { use[++nu]=$2 " " $4; rank[$2]=$3 }
  END {
    bad = 0; checks = 0
    for (i = 1; i <= nu; i++) {
      split(use[i], a, " ")
      if (!(a[2] in def)) continue          # libc, SQLite, cJSON, md4c
      to = def[a[2]]; from = a[1]
      if (to == from) continue
      edge[from " " to] = 1
      checks++
      if (rank[to] > rank[from]) { print "FAIL " from " calls up to " to " (" a[2] ")"; bad++ }
    }
    # cycles between modules: repeated removal of modules with no outgoing edge
    for (e in edge) { split(e, a, " "); out[a[1]]++; nodes[a[1]]; nodes[a[2]] }
    changed = 1
    while (changed) {
      changed = 0
      for (m in nodes) if (!(m in gone) && out[m] == 0) {
        gone[m] = 1; changed = 1
        for (e in edge) { split(e, a, " "); if (a[2] == m && !(a[1] in gone)) out[a[1]]-- }
      }
    }
    cyc = ""
    for (m in nodes) if (!(m in gone)) cyc = cyc " " m
    checks++
    if (cyc != "") { print "FAIL modules in a cycle:" cyc; bad++ }
    printf "layers: %d passed, %d failed\n", checks - bad, bad
    exit bad > 0
  }' "$tmp/syms"
