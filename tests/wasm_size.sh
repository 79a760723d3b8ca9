#!/bin/sh
# wasm_size.sh — hub.wasm by origin: SQLite, each core folder, md4c, cJSON, the wasm glue, libc
# (printf/scanf apart), soft-float, the allocator, Emscripten's runtime (`make bench` runs it).
#
# usage: tests/wasm_size.sh [BUILD]   (default build; needs $BUILD/wasm/size/hub.wasm, made by
#        `make build/wasm/size/hub.wasm`: the shipped module's link and wasm-opt pass, names kept)
# Each function of the profiled module is given to the origin whose object file (or C library
# archive member) defines a function of that name (llvm-nm); the table itself comes from
# tests/wasm_size.mjs. Exit status 1 when the profiled module or a tool is missing.
#
#        tests/wasm_size.sh --libc [BUILD]   (`make test`)
# Checks that no object of the browser module calls a C library function that would link
# musl's printf or scanf machinery (vfprintf, vfscanf and the long-double arithmetic under
# them): wasm/printf.c and wasm/scanf.c stand in for snprintf, vsnprintf, sprintf and sscanf,
# and nothing else may print or scan. Prints one line per offending call, then the tally.
set -u
NM=$(command -v llvm-nm || command -v llvm-nm-14) || { echo "wasm_size: llvm-nm missing"; exit 1; }
if [ "${1:-}" = "--libc" ]; then
  W=${2:-build}/wasm
  bad=0; n=0
  for o in $(find "$W/src" "$W/tp" "$W/wasm" -name '*.o' | sort); do
    n=$((n + 1))
    for f in $("$NM" -u "$o" | awk '{ print $NF }' | grep -xE \
      '(v?f?|v?d|v?as)printf|(v?f?|vs)scanf|strto(ld|f)'); do
      echo "FAIL $o calls $f (musl's printf/scanf would be linked into hub.wasm)"; bad=$((bad + 1))
    done
  done
  echo "wasm-libc: $((n > 0 ? n - bad : 0)) passed, $((n > 0 ? bad : 1)) failed"
  [ "$bad" = 0 ] && [ "$n" -gt 0 ]; exit $?
fi
B=${1:-build}
W=$B/wasm
P=$W/size/hub.wasm
[ -f "$P" ] || { echo "wasm_size: $P missing (make $P)"; exit 1; }
RO=$(command -v llvm-readobj || command -v llvm-readobj-14) || { echo "wasm_size: llvm-readobj missing"; exit 1; }
SYS=$(em-config CACHE 2>/dev/null)/sysroot/lib/wasm32-emscripten
[ -d "$SYS" ] || SYS=/usr/share/emscripten/cache/sysroot/lib/wasm32-emscripten
T=$W/size/symbols.tsv
# the objects the module was linked from (written by the size rule): an object left in the build
# folder by a file since moved or removed must not claim a function's name
OBJS=$W/size/objects.txt
[ -f "$OBJS" ] || { echo "wasm_size: $OBJS missing (make $P)"; exit 1; }
# defined functions (T/t/W) of one object or archive, as "name<TAB>group"
funcs() { "$NM" -A --defined-only "$1" 2>/dev/null | awk -v g="$2" '$(NF-1) ~ /^[TtWw]$/ { print $NF "\t" g }'; }
{
  for o in $(grep "^$W/src/" "$OBJS" | sort); do
    d=${o#"$W"/src/}; funcs "$o" "core: src/${d%%/*}"
  done
  funcs "$W/wasm/sqlite3_wasm.o" "SQLite (amalgamation + wasm/sqlite3_wasm.c)"
  funcs "$W/tp/cjson/cJSON.o" "cJSON"
  funcs "$W/tp/md4c/md4c.o" "md4c"
  for o in $(grep "^$W/wasm/" "$OBJS"); do
    case $o in */sqlite3_wasm.o) ;; *) funcs "$o" "wasm glue: wasm/$(basename "$o" .o).c" ;; esac
  done
  # The C library: printf and scanf (with their number conversions), the rest; compiler-rt's
  # 128-bit long double (musl's printf and strtod compute in it); the allocator.
  for a in "$SYS"/libc.a "$SYS"/libc-optz.a "$SYS"/libprintf_long_double*.a; do
    [ -f "$a" ] || continue
    "$NM" -A --defined-only "$a" 2>/dev/null | awk '$(NF-1) ~ /^[TtWw]$/ {
      split($1, p, ":"); m = p[2]
      g = (m ~ /printf|scanf|floatscan|intscan|shgetc|strtod|__towrite|__toread|__uflow|__overflow|fwrite|fputs|fputc|frexp|wcrtomb|wctomb|fmt_fp/) \
        ? "libc: printf/scanf/strtod" : "libc: other"
      print $NF "\t" g }'
  done
  "$NM" -A --defined-only "$SYS"/libcompiler_rt.a 2>/dev/null | awk '$(NF-1) ~ /^[TtWw]$/ {
    split($1, p, ":"); m = p[2]
    print $NF "\t" ((m ~ /tf[0-9]?\.o$|tf2\.o$|tfdf|dftf|sftf|tfsf|tfsi|tfdi|tfti|sitf|ditf|titf|unsitf|undi?tf|multc3|divtc3|comparetf|fp_/) ? "soft-float (compiler-rt long double)" : "libc: other") }'
  funcs "$SYS"/libemmalloc.a "libc: malloc (emmalloc)"
} | sort -u > "$T"
# initialised data (not .bss) of each origin's objects, for splitting the data section
for o in $(sort "$OBJS"); do
  case $o in
    "$W"/src/*) d=${o#"$W"/src/}; g="core: src/${d%%/*}" ;;
    */sqlite3_wasm.o) g="SQLite (amalgamation + wasm/sqlite3_wasm.c)" ;;
    */cJSON.o) g=cJSON ;; */md4c.o) g=md4c ;;
    *) g="wasm glue: wasm/$(basename "$o" .o).c" ;;
  esac
  "$RO" --sections "$o" 2>/dev/null | awk -v g="$g" '/Segment \{/ { s = 1 } s && /Name:/ { n = $2 }
    s && /Size:/ { if (n !~ /^\.bss/) t += $2; s = 0 } END { if (t) print g "\t" t }'
done > "$W/size/data.tsv"
node tests/wasm_size.mjs "$P" "$T" "$W/size/data.tsv" "$W/hub.wasm"
