#!/bin/sh
# pg_cluster.sh — a throwaway PostgreSQL on 127.0.0.1 for the multi-user tests, bench and
# `make run-cluster` (Debian's postgresql package; initdb in a directory of ours, never the
# system's cluster).
#   pg_cluster.sh start DIR [fast]   initdb DIR/data, start on a free loopback port, create the
#                                    database "hub"; writes its URL to DIR/url and prints it.
#                                    fast: fsync off (tests only; the bench keeps the defaults)
#   pg_cluster.sh stop DIR           stop it (immediate) and remove DIR
# Exits 77 when PostgreSQL's server is not installed (callers skip with that message).
# Run as root, the server runs as the postgres user (PostgreSQL refuses root).
set -u
cmd=$1; D=$2; mode=${3:-}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "pg_cluster: PostgreSQL's server is not installed (Debian package postgresql; make deps installs it)" >&2
  exit 77
fi
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case $cmd in
start)
  rm -rf "$D" && mkdir -p "$D"
  D=$(cd "$D" && pwd)
  P=$D
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$D"
    # the postgres user must reach the directory; a clone under a private home cannot be: /tmp then
    if ! runuser -u postgres -- test -x "$D"; then
      P=$(mktemp -d /tmp/hub-pg.XXXXXX) && chown postgres "$P" && echo "$P" > "$D/place"
    fi
  fi
  mkdir -p "$P/sock" && { [ "$(id -u)" != 0 ] || chown postgres "$P/sock"; }
  as_pg "$PGBIN/initdb" -D "$P/data" -U hub -A trust --no-sync -E UTF8 --locale=C > "$D/initdb.log" 2>&1 \
    || { echo "pg_cluster: initdb failed:" >&2; cat "$D/initdb.log" >&2; exit 1; }
  opts=""
  [ "$mode" = fast ] && opts="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  i=0
  while [ $i -lt 20 ]; do
    PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
    if as_pg "$PGBIN/pg_ctl" -D "$P/data" -l "$P/server.log" -w -t 30 \
         -o "-c listen_addresses=127.0.0.1 -p $PORT -k $P/sock -c max_connections=200 $opts" start > /dev/null 2>&1; then
      URL="postgres://hub@127.0.0.1:$PORT/hub"
      psql -X -q -h 127.0.0.1 -p "$PORT" -U hub -d postgres -c "CREATE DATABASE hub" > /dev/null || exit 1
      echo "$URL" > "$D/url"
      echo "$URL"
      exit 0
    fi
    i=$((i + 1))
  done
  echo "pg_cluster: could not start PostgreSQL (see $P/server.log)" >&2
  exit 1
  ;;
stop)
  P=$D
  [ -f "$D/place" ] && P=$(cat "$D/place")
  [ -d "$P/data" ] && as_pg "$PGBIN/pg_ctl" -D "$P/data" -m immediate -w stop > /dev/null 2>&1
  [ "$P" != "$D" ] && case $P in /tmp/hub-pg.*) rm -rf "$P" ;; esac
  rm -rf "$D"
  ;;
*)
  echo "usage: pg_cluster.sh start|stop DIR [fast]" >&2
  exit 2
  ;;
esac
