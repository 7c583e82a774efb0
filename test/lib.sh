# Shared by test/run.sh, test/demo.sh and bench/: install what the build
# needs, build and install the extension, and start a throwaway cluster.
# Source it from the repository root.

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
DEB_PACKAGES="postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR postgresql-$PG_MAJOR-cron
  libcurl4-openssl-dev libzip-dev libcsv-dev libcjson-dev pkg-config make gcc
  python3 curl zip unzip ca-certificates"

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Install the Debian packages the build and the tests need (as root only).
gtfs_install_deps() {
  local missing=()
  for p in $DEB_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing packages: ${missing[*]} (run as root, or install them with apt-get)"
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Build with warnings as errors, and install into the PostgreSQL tree.
gtfs_build_install() {
  say "building gtfs_fdw"
  make -s PG_CONFIG="$PG_BIN/pg_config" EXTRA_CFLAGS="-Werror ${EXTRA_CFLAGS:-}" >/dev/null
  if [ "$(id -u)" -eq 0 ]; then
    make -s PG_CONFIG="$PG_BIN/pg_config" install >/dev/null
  else
    sudo -n make -s PG_CONFIG="$PG_BIN/pg_config" install >/dev/null ||
      die "cannot install the extension: run as root"
  fi
}

# Run a command as the cluster's owner: root may not run PostgreSQL.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# gtfs_start_cluster ROOT PORT [extra postgresql.conf lines...]
# Starts a new cluster in ROOT/pgdata, socket in ROOT, and exports PGHOST,
# PGPORT, PGUSER, PGDATABASE for the caller.  gtfs_stop_cluster stops it.
gtfs_start_cluster() {
  local root=$1 port=$2
  shift 2
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
  fi
  if [ -f "$root/pgdata/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$root/pgdata" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$root"
  mkdir -p "$root"
  chmod 755 "$root"
  [ "$(id -u)" -eq 0 ] && chown postgres "$root"
  as_pg "$PG_BIN/initdb" -D "$root/pgdata" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$root/initdb.log" 2>&1 ||
    { cat "$root/initdb.log" >&2; die "initdb failed"; }
  {
    echo "port = $port"
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$root'"
    echo "fsync = off"
    echo "max_worker_processes = 16"
    for line in "$@"; do echo "$line"; done
  } | as_pg tee -a "$root/pgdata/postgresql.conf" >/dev/null
  if [ -n "${VALGRIND:-}" ]; then
    gtfs_start_under_valgrind "$root" "$port"
  else
    as_pg "$PG_BIN/pg_ctl" -D "$root/pgdata" -l "$root/server.log" -w start >/dev/null ||
      { tail -n 30 "$root/server.log" >&2; die "the cluster did not start"; }
  fi
  export PGHOST=$root PGPORT=$port PGUSER=postgres PGDATABASE=postgres
}

# VALGRIND=1: run the server and every backend under valgrind's memcheck,
# one log per process in ROOT/valgrind (PostgreSQL is not built for
# valgrind, so palloc'd memory is not checked; malloc'd memory and what our
# code reads and writes is).
gtfs_start_under_valgrind() {
  local root=$1 port=$2
  command -v valgrind >/dev/null || die "VALGRIND=1 needs valgrind (apt-get install valgrind)"
  mkdir -p "$root/valgrind"
  [ "$(id -u)" -eq 0 ] && chown postgres "$root/valgrind"
  as_pg valgrind --quiet --trace-children=yes --leak-check=no --num-callers=40 \
    --log-file="$root/valgrind/%p.log" \
    "$PG_BIN/postgres" -D "$root/pgdata" >"$root/server.log" 2>&1 &
  for _ in $(seq 300); do
    "$PG_BIN/pg_isready" -q -h "$root" -p "$port" && return 0
    sleep 0.5
  done
  tail -n 30 "$root/server.log" >&2
  die "the cluster did not start under valgrind"
}

# The valgrind errors of gtfs_fdw, one block each: those where the first
# frame in PostgreSQL's own code or in ours (frames in other libraries
# skipped) is ours.  Errors inside PostgreSQL, which is not built for
# valgrind, are left out even when our code called it.
gtfs_valgrind_errors() {
  local root=$1 ours
  [ -d "$root/valgrind" ] || return 0
  ours="gtfs_fdw\\.so|\\(($(cd src && ls -- *.c | sed 's/\.c$//' | paste -sd'|'))\\.c:"
  awk -v ours="$ours" '
    function flush() { if (verdict == "ours") printf "%s\n", block; block = ""; verdict = "" }
    /^==[0-9]+== [A-Z]/ { flush() }
    /^==[0-9]+== *$/ { flush(); next }
    / (at|by) 0x[0-9A-F]+: / && verdict == "" {
      if ($0 ~ ours) verdict = "ours"
      else if ($0 ~ /lib\/postgresql\/[0-9]+\//) verdict = "postgres"
    }
    { block = block $0 "\n" }
    END { flush() }' "$root"/valgrind/*.log
}

gtfs_stop_cluster() {
  local root=$1
  [ -f "$root/pgdata/postmaster.pid" ] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$root/pgdata" -m fast -w stop >/dev/null 2>&1 || true
}

# Copy files the server will read into a directory its owner can read:
# the checkout may live in a home directory closed to the postgres user.
gtfs_stage_data() {
  local dest=$1
  shift
  mkdir -p "$dest"
  cp "$@" "$dest/"
  chmod -R a+rX "$dest"
}
