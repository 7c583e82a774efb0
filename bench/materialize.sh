#!/usr/bin/env bash
# Load speed of gtfs_fdw (gtfs_refresh, materialize) against the physical
# reference: unzip every file of the feed, COPY each into a table of the same
# shape, then the same keys, indexes and statistics.
#
#   bench/materialize.sh [feed.zip]   (default: ../shared/data/gtfs/mta-subway.zip
#                                      relative to the repository root)
#
# Environment: RUNS (timed runs per measurement, default 3; one extra
# warm-up run is not counted), GTFS_BENCH_ROOT (default
# /tmp/gtfs_fdw_bench_mat), GTFS_BENCH_PORT (default 54396), KEEP_CLUSTER=1
# to leave the cluster up, MODELS=0 to skip timing gtfs_refresh with its
# models step, PERF=1 to profile one more load of each side with perf and
# print where the backend's time goes.
#
# Every measurement is one psql session timed from the shell, connection
# included; runs of all sides are interleaved.  Peak memory is VmHWM of that
# session's backend, read by the backend itself right after the load.  Prints
# tables and one "BENCH key=value ..." line per measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib.sh
. bench/lib.sh

FEED=$(bench_feed "${1:-}")
RUNS=${RUNS:-3}
bench_positive RUNS "$RUNS"
bench_require_perf

# JIT off: ANALYZE and the catalog queries gain nothing from it.
# Autovacuum off: each load leaves hundreds of thousands of freshly inserted
# rows, whose vacuum would otherwise run on the same CPUs during the next
# timed run, whichever side that is.
bench_start "${GTFS_BENCH_ROOT:-/tmp/gtfs_fdw_bench_mat}" "${GTFS_BENCH_PORT:-54396}" "$FEED" \
  "jit = off" "autovacuum = off"
EXTRACT=$DATA/extract       # the reference's unzip
UNZIP_ONLY=$DATA/unzip_only # unzip alone
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k/1024}'; }
unzip_txt() { unzip -q -o "$ZIP" '*.txt' -d "$1"; } # every .txt member into DIR
fresh_dir() { rm -rf "$1"; mkdir -m 755 "$1"; }

# peak and shared memory of the session's backend, in kB: "VmHWM RssShmem"
MEMSQL="SELECT substring(s FROM 'VmHWM:\s*(\d+)') || ' ' || substring(s FROM 'RssShmem:\s*(\d+)')
        FROM pg_read_file('/proc/self/status') s"

# --- the feed, and a first load (not timed) whose tables the reference copies
say "registering the feed and loading it once"
bench_load_feed
FRESH_MEM=$(psql_q -c "$MEMSQL") # a backend that has loaded nothing

# The staging tables (one per file of the reference), and the file each was
# loaded from; empty for the tables of files the feed lacks.
declare -A FILEOF
while IFS='|' read -r tbl file; do FILEOF[$tbl]=$file; done < <(
  psql_q -F '|' -v stage="$STAGE" <<'SQL'
SELECT c.relname,
       CASE WHEN d.description NOT LIKE '%(not in the feed: empty)'
            THEN substring(d.description FROM '^gtfs_fdw: (.*) of feed bench, load [0-9]+') END
FROM pg_class c
JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE c.relnamespace = :'stage'::regnamespace AND c.relkind = 'r' AND d.description LIKE 'gtfs_fdw: %'
SQL
)
TABLES=$(printf '%s\n' "${!FILEOF[@]}" | sort)
while read -r member; do
  printf '%s\n' "${FILEOF[@]}" | grep -qxF "$member" || die "$member is in the zip but has no staging table"
done < <(unzip -Z1 "$ZIP" | grep -i '\.txt$' | grep -v '^__MACOSX/')

# --- the reference's script.  For every staging table, in one transaction:
# a table ref.<name> with the same columns, types and NOT NULLs, less
# feed_id and load_id; COPY of the file (FORMAT csv, HEADER) with the column
# list of its header line; the staging table's primary key, unique and
# foreign-key indexes, from pg_get_constraintdef and pg_get_indexdef; ANALYZE.
# "\echo @ <table> <step>" lines say what the following statements' timings
# belong to.
say "writing the reference's script"
fresh_dir "$EXTRACT"
unzip_txt "$EXTRACT"
REFSQL=$DATA/reference.sql
{
  cat <<'SQL'
\timing on
\echo @ - setup
BEGIN;
DROP SCHEMA IF EXISTS ref CASCADE;
CREATE SCHEMA ref;
SQL
  while read -r tbl; do
    psql_q -v stage="$STAGE" -v tbl="$tbl" -v file="${FILEOF[$tbl]}" -v dir="$EXTRACT" <<'SQL'
SELECT oid AS relid FROM pg_class WHERE relname = :'tbl' AND relnamespace = :'stage'::regnamespace \gset
\echo '\\echo @' :tbl create
SELECT format('CREATE TABLE ref.%I (%s);', :'tbl',
              string_agg(format('%I %s%s', attname, format_type(atttypid, atttypmod),
                                CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END), ', ' ORDER BY attnum))
FROM pg_attribute
WHERE attrelid = :relid AND attnum > 0 AND NOT attisdropped AND attname NOT IN ('feed_id', 'load_id');
SELECT :'file' <> '' AS in_feed \gset
\if :in_feed
\echo '\\echo @' :tbl copy
SELECT format('COPY ref.%I (%s) FROM %L (FORMAT csv, HEADER true);', :'tbl',
              string_agg(quote_ident(btrim(h, E' "\r')), ', ' ORDER BY n), :'dir' || '/' || :'file')
FROM unnest(string_to_array(replace(split_part(pg_read_file(:'dir' || '/' || :'file', 0, 65536), E'\n', 1),
                                    E'\uFEFF', ''), ',')) WITH ORDINALITY AS x(h, n);
\endif
\echo '\\echo @' :tbl keys
-- the primary key first, then the other indexes in the order of creation
SELECT CASE WHEN con.oid IS NOT NULL
            THEN format('ALTER TABLE ref.%I ADD CONSTRAINT %I %s;', :'tbl', con.conname,
                        pg_get_constraintdef(con.oid))
            ELSE replace(pg_get_indexdef(i.indexrelid), ' ON ' || quote_ident(:'stage') || '.', ' ON ref.') || ';'
       END
FROM pg_index i
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
WHERE i.indrelid = :relid
ORDER BY con.oid IS NULL, i.indexrelid;
\echo '\\echo @' :tbl analyze
SELECT format('ANALYZE ref.%I;', :'tbl');
SQL
  done <<<"$TABLES"
  cat <<SQL
\\echo @ - commit
COMMIT;
\\timing off
$MEMSQL;
SQL
} >"$REFSQL"
NTABLES=$(grep -c '^CREATE TABLE ref\.' "$REFSQL")
NCOPY=$(grep -c '^COPY ref\.' "$REFSQL")
NKEYS=$(grep -cE '^(ALTER TABLE ref\.|CREATE (UNIQUE )?INDEX )' "$REFSQL")
say "reference: $NTABLES tables, $NCOPY files to COPY, $NKEYS keys and indexes"

# --- one run of each side; each sets T (ns) and MEM ("VmHWM RssShmem")
LOG=$DATA/run.log
run_refresh() { # [on]: with the models step
  local t0 t1 out
  t0=$(now_ns)
  out=$(psql_q -c "SET gtfs_fdw.refresh_models = ${1:-off}" -c "CALL gtfs_refresh('bench', force => true)" \
               -c "SELECT last_status || ' ' || last_load_id FROM gtfs_fdw.feeds WHERE name = 'bench'" \
               -c "$MEMSQL" 2>"$LOG") || { cat "$LOG" >&2; die "gtfs_refresh failed"; }
  t1=$(now_ns)
  T=$((t1 - t0))
  # gtfs_refresh turns a failed load into a WARNING: check that it loaded
  [ "$(sed -n 1p <<<"$out" | cut -d' ' -f1)" = ok ] || { cat "$LOG" >&2; die "gtfs_refresh did not load the feed"; }
  RUN_ID=$(sed -n 1p <<<"$out" | cut -d' ' -f2)
  MEM=$(sed -n 2p <<<"$out")
  NOTICES=$(cat "$LOG")
}
run_refresh_models() { run_refresh on; }
run_materialize() {
  local t0 t1 out
  t0=$(now_ns)
  out=$(psql_q -c "BEGIN" -c "SELECT gtfs_fdw.materialize('bench')" -c "COMMIT" \
               -c "$MEMSQL" 2>"$LOG") || { cat "$LOG" >&2; die "materialize failed"; }
  t1=$(now_ns)
  T=$((t1 - t0))
  MEM=$(tail -n 1 <<<"$out")
  NOTICES=$(cat "$LOG")
}
run_reference() {
  local t0 t1
  fresh_dir "$EXTRACT"
  t0=$(now_ns)
  unzip_txt "$EXTRACT"
  REFOUT=$(psql_q -f "$REFSQL" 2>"$LOG") || { cat "$LOG" >&2; die "the reference load failed"; }
  t1=$(now_ns)
  T=$((t1 - t0))
  MEM=$(tail -n 1 <<<"$REFOUT")
}
run_unzip() {
  local t0 t1
  fresh_dir "$UNZIP_ONLY"
  t0=$(now_ns)
  unzip_txt "$UNZIP_ONLY"
  t1=$(now_ns)
  T=$((t1 - t0))
  MEM=""
}

# gtfs_fdw's NOTICEs: milliseconds per file (load, keys and ANALYZE of its
# table) into GFILE[file], and of the whole materialize into GFILE[-total].
# "N rows in 0.01 s (512345 rows/s)": N / rate is more precise than the seconds.
declare -A GFILE
collect_notices() {
  local re_file='feed "bench": ([^:]+): ([0-9]+) rows? in ([0-9.]+) s \(([0-9]+) rows/s\)'
  local re_total='feed "bench": loaded [0-9]+ rows? into schema .* in ([0-9.]+) s'
  while IFS= read -r line; do
    if [[ $line =~ $re_total ]]; then
      GFILE[-total]+="$(awk -v s="${BASH_REMATCH[1]}" 'BEGIN {print s*1000}') "
    elif [[ $line =~ $re_file ]]; then
      GFILE[${BASH_REMATCH[1]}]+="$(awk -v n="${BASH_REMATCH[2]}" -v s="${BASH_REMATCH[3]}" -v r="${BASH_REMATCH[4]}" \
                                     'BEGIN {print (n > 0 && r > 0) ? 1000*n/r : 1000*s}') "
    fi
  done <<<"$NOTICES"
}
# the reference's \timing: milliseconds per table and step into RSTEP[table.step]
declare -A RSTEP
collect_timing() {
  local tbl=- step=setup
  local -A sum=()
  while IFS= read -r line; do
    if [[ $line =~ ^@\ ([^ ]+)\ ([a-z]+)$ ]]; then
      tbl=${BASH_REMATCH[1]} step=${BASH_REMATCH[2]}
    elif [[ $line =~ ^Time:\ ([0-9.]+)\ ms ]]; then
      sum[$tbl.$step]=$(awk -v a="${sum[$tbl.$step]:-0}" -v b="${BASH_REMATCH[1]}" 'BEGIN {print a+b}')
    fi
  done <<<"$REFOUT"
  for k in "${!sum[@]}"; do RSTEP[$k]+="${sum[$k]} "; done
}

# --- the timed runs, sides interleaved.  A CHECKPOINT (not timed) before each
# run: no run pays for writing out the buffers the one before dirtied, and old
# WAL segments are recycled rather than new ones zero-filled during a load.
SIDES=(refresh materialize reference unzip)
declare -A DESC=(
  [refresh]="CALL gtfs_refresh('bench', force => true), gtfs_fdw.refresh_models off: fetch, archive, materialize"
  [refresh_models]="the same with the models step (the default): it rebuilds the feed's marts after the load"
  [materialize]="BEGIN; SELECT gtfs_fdw.materialize('bench'); COMMIT"
  [reference]="unzip, then in one transaction COPY, keys, indexes, ANALYZE"
  [unzip]="unzip of every .txt file alone"
)
declare -A NS VMHWM SHMEM WAL
REFRESH_RUNS=()
say "timing loads ($RUNS runs + warm-up, sides interleaved)"
for r in $(seq 0 "$RUNS"); do
  for s in "${SIDES[@]}"; do
    lsn=$(psql_q -c "CHECKPOINT" -c "SELECT pg_current_wal_insert_lsn()")
    "run_$s"
    wal=$(psql_q -c "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$lsn')")
    say "run $r $s: $(awk -v t="$T" 'BEGIN {printf "%.3f", t/1e9}') s"
    [ "$r" -eq 0 ] && continue
    NS[$s]+="$T "
    if [ -n "$MEM" ]; then
      WAL[$s]+="$wal "
      VMHWM[$s]+="${MEM% *} "
      SHMEM[$s]+="${MEM#* } "
    fi
    case $s in
      refresh) collect_notices; REFRESH_RUNS+=("$RUN_ID") ;;
      materialize) collect_notices ;;
      reference) collect_timing ;;
    esac
  done
done

# gtfs_refresh's steps, from gtfs_fdw.load_log: each step runs from its
# started_at to the next one's, the last to the time the run was logged.
refresh_steps() { # RUN_ID... -> medians in ms: "fetch archive materialize models"
  psql_q -F ' ' -v runs="{$(IFS=,; echo "$*")}" <<'SQL'
SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY fetch_ms),
       percentile_disc(0.5) WITHIN GROUP (ORDER BY archive_ms),
       percentile_disc(0.5) WITHIN GROUP (ORDER BY materialize_ms),
       coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY models_ms), 0)
FROM (SELECT round(1000 * extract(epoch FROM t_archive - t_fetch)) AS fetch_ms,
             round(1000 * extract(epoch FROM t_materialize - t_archive)) AS archive_ms,
             round(1000 * extract(epoch FROM coalesce(t_models, t_done) - t_materialize)) AS materialize_ms,
             round(1000 * extract(epoch FROM t_done - t_models)) AS models_ms
      FROM (SELECT max(started_at) FILTER (WHERE step = 'fetch') AS t_fetch,
                   max(started_at) FILTER (WHERE step = 'archive') AS t_archive,
                   max(started_at) FILTER (WHERE step = 'materialize') AS t_materialize,
                   max(started_at) FILTER (WHERE step = 'models') AS t_models,
                   max(finished_at) FILTER (WHERE step = 'refresh') AS t_done
            FROM gtfs_fdw.load_log WHERE run_id = ANY (:'runs'::bigint[]) GROUP BY run_id) r) s
SQL
}
steps=$(refresh_steps "${REFRESH_RUNS[@]}") || die "reading gtfs_fdw.load_log failed"
read -r STEP_FETCH STEP_ARCHIVE STEP_MAT _ <<<"$steps"

# --- both sides must have loaded the same rows: row counts per table (abort
# if they differ), then the rows themselves (staging minus reference and back)
say "comparing staging and reference tables"
CHECK=$(psql_q -F '|' -v stage="$STAGE" <<'SQL'
CREATE FUNCTION pg_temp.compare(stage text, tbl text, OUT staged bigint, OUT reference bigint, OUT differing bigint)
LANGUAGE plpgsql AS $$
DECLARE
    cols text;
BEGIN
    EXECUTE format('SELECT count(*) FROM %I.%I', stage, tbl) INTO staged;
    EXECUTE format('SELECT count(*) FROM ref.%I', tbl) INTO reference;
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
    FROM pg_attribute WHERE attrelid = format('ref.%I', tbl)::regclass AND attnum > 0 AND NOT attisdropped;
    EXECUTE format('SELECT count(*) FROM ((SELECT %1$s FROM %2$I.%3$I EXCEPT ALL SELECT %1$s FROM ref.%3$I) '
                   'UNION ALL (SELECT %1$s FROM ref.%3$I EXCEPT ALL SELECT %1$s FROM %2$I.%3$I)) d',
                   cols, stage, tbl) INTO differing;
END $$;
SELECT c.relname, x.*
FROM pg_class c, pg_temp.compare(:'stage', c.relname) x
WHERE c.relnamespace = :'stage'::regnamespace AND c.relkind = 'r'
ORDER BY c.relname;
SQL
) || die "the comparison failed (a staging table without its reference table?)"
NREF=$(psql_q -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'ref'::regnamespace AND relkind = 'r'")
[ "$NREF" -eq "${#FILEOF[@]}" ] || die "${#FILEOF[@]} staging tables but $NREF reference tables"
TOTAL_ROWS=0
DIFFERING=0
declare -A ROWS
while IFS='|' read -r tbl staged reference differing; do
  [ "$staged" -eq "$reference" ] ||
    die "ROW COUNTS DIFFER: $STAGE.$tbl has $staged rows, ref.$tbl has $reference"
  [ "$differing" -eq 0 ] || say "WARNING: $tbl: $differing rows differ between the two loads"
  ROWS[$tbl]=$staged
  TOTAL_ROWS=$((TOTAL_ROWS + staged))
  DIFFERING=$((DIFFERING + differing))
done <<<"$CHECK"
say "row counts match: $TOTAL_ROWS rows in $NREF tables; $DIFFERING rows differ"

# --- optional: where the backend's time goes, by perf call stacks of one
# more materialize and one more reference load (not timed)
declare -A PERFCNT
PHASES=(read insert loadother index check ddl analyze other)
declare -A PHASEDESC=(
  [read]="read, parse, convert (GtfsReaderNext / NextCopyFrom)"
  [insert]="heap_multi_insert"
  [loadother]="rest of the load loop (LoadRows / CopyFrom)"
  [index]="index builds (DefineIndex)"
  [check]="ALTER TABLE's NOT NULL check scan"
  [ddl]="other DDL: create, swap, drop, comments"
  [analyze]="ANALYZE (analyze_rel)"
  [other]="other (commit, SPI, catalog queries)"
)
perf_load() { # SIDE SQLFILE: run SQLFILE under perf; counts samples per phase into PERFCNT[SIDE.phase]
  local side=$1 body=$2 out=$DATA/perf.$1
  {
    cat <<'SQL'
SELECT pg_backend_pid() AS pid \gset
\setenv BPID :pid
SQL
    echo "\\setenv PERFOUT $out"
    cat <<'SQL'
\! perf record -q -F 999 --call-graph dwarf,16384 -p "$BPID" -o "$PERFOUT" >"$PERFOUT.log" 2>&1 & echo $! >"$PERFOUT.pid"; sleep 1
SQL
    cat "$body"
    cat <<'SQL'
\! kill -INT "$(cat "$PERFOUT.pid")"; while kill -0 "$(cat "$PERFOUT.pid")" 2>/dev/null; do sleep 0.2; done
SQL
  } >"$out.sql"
  psql_q -f "$out.sql" >/dev/null 2>"$LOG" || { cat "$LOG" >&2; die "the $side load under perf failed"; }
  while read -r phase n; do PERFCNT[$side.$phase]=$n; done < <(
    perf script -i "$out" -F ip,sym 2>/dev/null | awk '
      function classify(s) {
        if (s ~ /\|(GtfsReaderNext|NextCopyFrom)\|/) return "read"
        if (s ~ /\|heap_multi_insert\|/) return "insert"
        if (s ~ /\|(LoadRows|CopyFrom)\|/) return "loadother"
        if (s ~ /\|DefineIndex\|/) return "index"
        if (s ~ /\|analyze_rel\|/) return "analyze"
        if (s ~ /\|standard_ProcessUtility\|/ && s ~ /\|heap_getnextslot\|/) return "check"
        if (s ~ /\|standard_ProcessUtility\|/) return "ddl"
        return "other"
      }
      NF == 0 { if (stack != "") n[classify(stack "|")]++; stack = ""; next }
      { stack = stack "|" $2 }
      END { if (stack != "") n[classify(stack "|")]++; for (p in n) print p, n[p] }')
}
if [ -n "${PERF:-}" ]; then
  say "profiling one more load of each side with perf"
  printf 'BEGIN;\nSELECT gtfs_fdw.materialize(%s);\nCOMMIT;\n' "'bench'" >"$DATA/materialize.sql"
  psql_q -c "CHECKPOINT"
  perf_load materialize "$DATA/materialize.sql"
  fresh_dir "$EXTRACT"
  unzip_txt "$EXTRACT"
  psql_q -c "CHECKPOINT"
  perf_load reference "$REFSQL"
fi

# --- gtfs_refresh as it runs by default: with the models step, which
# rebuilds the feed's marts after the load.  Timed apart, after the
# comparison: the models' views on staging tables make every later load
# re-create them.
MODEL_RUNS=()
if [ "${MODELS:-1}" != 0 ]; then
  say "timing gtfs_refresh with its models step ($RUNS runs + warm-up)"
  for r in $(seq 0 "$RUNS"); do
    lsn=$(psql_q -c "CHECKPOINT" -c "SELECT pg_current_wal_insert_lsn()")
    run_refresh_models
    wal=$(psql_q -c "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$lsn')")
    say "run $r refresh_models: $(awk -v t="$T" 'BEGIN {printf "%.3f", t/1e9}') s"
    [ "$r" -eq 0 ] && continue
    NS[refresh_models]+="$T "
    WAL[refresh_models]+="$wal "
    VMHWM[refresh_models]+="${MEM% *} "
    SHMEM[refresh_models]+="${MEM#* } "
    MODEL_RUNS+=("$RUN_ID")
  done
  steps=$(refresh_steps "${MODEL_RUNS[@]}") || die "reading gtfs_fdw.load_log failed"
  read -r M_FETCH M_ARCHIVE M_MAT M_MODELS <<<"$steps"
  SIDES+=(refresh_models)
fi

# --- report
declare -A MED
for s in "${SIDES[@]}"; do
  # shellcheck disable=SC2086
  MED[$s]=$(median ${NS[$s]} | awk '{printf "%.3f", $1/1e9}')
done
rows_per_s() { awk -v n="$TOTAL_ROWS" -v s="$1" 'BEGIN {printf "%.0f", n/s}'; }
ZIP_BYTES=$(stat -c %s "$ZIP")
TXT_BYTES=$(du -sb "$UNZIP_ONLY" | cut -f1)
mstep() { # TABLE STEP -> median ms of the reference's step, 0 when it has none
  # shellcheck disable=SC2086
  if [ -n "${RSTEP[$1.$2]:-}" ]; then median ${RSTEP[$1.$2]}; else echo 0; fi
}

echo
echo "feed: $(basename "$FEED") ($ZIP_BYTES bytes zipped, $TXT_BYTES bytes of .txt files), $TOTAL_ROWS rows"
echo "${#FILEOF[@]} tables ($NCOPY of them files of the feed), $NKEYS keys and indexes;" \
     "$DIFFERING rows differ between the two loads"
echo "median of $RUNS runs after one warm-up, seconds (wall clock of the psql session, connection included)"
echo
printf '%-15s %9s %11s %10s %10s %12s %8s\n' side seconds rows/s /reference "VmHWM MB" "RssShmem MB" "WAL MB"
for s in "${SIDES[@]}"; do
  if [ "$s" = unzip ]; then
    printf '%-15s %9s %11s %10s %10s %12s %8s\n' "$s" "${MED[$s]}" - "$(ratio "${MED[$s]}" "${MED[reference]}")" - - -
  else
    # shellcheck disable=SC2086
    printf '%-15s %9s %11s %10s %10s %12s %8s\n' "$s" "${MED[$s]}" "$(rows_per_s "${MED[$s]}")" \
      "$(ratio "${MED[$s]}" "${MED[reference]}")" "$(mb "$(median ${VMHWM[$s]})")" "$(mb "$(median ${SHMEM[$s]})")" \
      "$(awk -v b="$(median ${WAL[$s]})" 'BEGIN {printf "%.1f", b/1048576}')"
  fi
done
echo
for s in "${SIDES[@]}"; do printf '  %-15s %s\n' "$s" "${DESC[$s]}"; done
echo "  VmHWM: peak resident memory of the backend, counting the shared buffers it touched (RssShmem after"
echo "  the load); a fresh backend: VmHWM $(mb "${FRESH_MEM% *}") MB, RssShmem $(mb "${FRESH_MEM#* }") MB"
echo "  WAL: bytes of WAL the run wrote"
echo "gtfs_refresh's steps (load_log, medians): fetch $STEP_FETCH ms, archive $STEP_ARCHIVE ms, materialize $STEP_MAT ms"
[ ${#MODEL_RUNS[@]} -eq 0 ] ||
  echo "  with models: fetch $M_FETCH ms, archive $M_ARCHIVE ms, materialize $M_MAT ms, models $M_MODELS ms"
echo

echo "per file, medians in ms: gtfs_fdw from its NOTICEs (table, rows, keys, ANALYZE), in refresh and"
echo "materialize runs; the reference from psql's timing of its statements (unzip not included)"
printf '%-24s %9s %9s %10s %9s %9s %9s %7s\n' file rows gtfs_fdw "ref:copy" "ref:keys" "ref:anlz" "ref:all" ratio
FILE_LINES=""
G_FILES=0 R_FILES=0
while read -r tbl; do
  file=${FILEOF[$tbl]}
  [ -n "$file" ] || continue
  # shellcheck disable=SC2086
  g=$(median ${GFILE[$file]:-0})
  c=$(awk -v a="$(mstep "$tbl" create)" -v b="$(mstep "$tbl" copy)" 'BEGIN {print a+b}')
  k=$(mstep "$tbl" keys)
  a=$(mstep "$tbl" analyze)
  all=$(awk -v c="$c" -v k="$k" -v a="$a" 'BEGIN {print c+k+a}')
  G_FILES=$(awk -v s="$G_FILES" -v x="$g" 'BEGIN {print s+x}')
  R_FILES=$(awk -v s="$R_FILES" -v x="$all" 'BEGIN {print s+x}')
  printf '%-24s %9s %9.1f %10.1f %9.1f %9.1f %9.1f %7s\n' "$file" "${ROWS[$tbl]}" "$g" "$c" "$k" "$a" "$all" "$(ratio "$g" "$all")"
  FILE_LINES+="BENCH measure=file file=$file rows=${ROWS[$tbl]} gtfs_ms=$g ref_create_copy_ms=$c ref_keys_ms=$k ref_analyze_ms=$a ref_ms=$all"$'\n'
done <<<"$TABLES"
# shellcheck disable=SC2086
G_TOTAL=$(median ${GFILE[-total]})
R_TOTAL=0
for k in "${!RSTEP[@]}"; do
  # shellcheck disable=SC2086
  R_TOTAL=$(awk -v s="$R_TOTAL" -v x="$(median ${RSTEP[$k]})" 'BEGIN {print s+x}')
done
printf '%-24s %9s %9.1f %10s %9s %9s %9.1f %7s\n' "the feed's files" "$TOTAL_ROWS" "$G_FILES" "" "" "" "$R_FILES" "$(ratio "$G_FILES" "$R_FILES")"
printf '%-24s %9s %9.1f %10s %9s %9s %9.1f %7s\n' "whole load in the server" "" "$G_TOTAL" "" "" "" "$R_TOTAL" "$(ratio "$G_TOTAL" "$R_TOTAL")"
echo "  whole load: gtfs_fdw's final NOTICE; the reference's statements, with DROP SCHEMA, the tables of"
echo "  files the feed lacks, and COMMIT"

if [ -n "${PERF:-}" ]; then
  echo
  echo "where the backend's time goes (perf samples at 999 Hz, one more load of each side, not timed)"
  printf '%-58s %16s %16s\n' phase "materialize" "reference"
  for side in materialize reference; do
    tot=0
    for p in "${PHASES[@]}"; do tot=$((tot + ${PERFCNT[$side.$p]:-0})); done
    PERFCNT[$side.total]=$tot
  done
  for p in "${PHASES[@]}" total; do
    printf '%-58s' "${PHASEDESC[$p]:-total}"
    for side in materialize reference; do
      n=${PERFCNT[$side.$p]:-0}
      printf ' %7d (%5.1f%%)' "$n" "$(awk -v n="$n" -v t="${PERFCNT[$side.total]}" 'BEGIN {print t ? 100*n/t : 0}')"
    done
    echo
  done
fi
echo

for s in "${SIDES[@]}"; do
  all=$(for n in ${NS[$s]}; do awk -v t="$n" 'BEGIN {printf "%.3f\n", t/1e9}'; done | paste -sd, -)
  line="BENCH measure=load side=$s median_s=${MED[$s]} runs=$RUNS all_s=$all"
  if [ "$s" != unzip ]; then
    # shellcheck disable=SC2086
    line+=" rows=$TOTAL_ROWS rows_per_s=$(rows_per_s "${MED[$s]}") vmhwm_kb=$(median ${VMHWM[$s]}) rss_shmem_kb=$(median ${SHMEM[$s]}) wal_bytes=$(median ${WAL[$s]})"
  fi
  echo "$line"
done
echo "BENCH measure=vmhwm side=fresh_backend kb=${FRESH_MEM% *} rss_shmem_kb=${FRESH_MEM#* }"
line="BENCH measure=ratio refresh_over_reference=$(ratio "${MED[refresh]}" "${MED[reference]}") materialize_over_reference=$(ratio "${MED[materialize]}" "${MED[reference]}")"
[ ${#MODEL_RUNS[@]} -eq 0 ] || line+=" refresh_models_over_reference=$(ratio "${MED[refresh_models]}" "${MED[reference]}")"
echo "$line"
echo "BENCH measure=refresh_steps fetch_ms=$STEP_FETCH archive_ms=$STEP_ARCHIVE materialize_ms=$STEP_MAT"
[ ${#MODEL_RUNS[@]} -eq 0 ] ||
  echo "BENCH measure=refresh_steps models=on fetch_ms=$M_FETCH archive_ms=$M_ARCHIVE materialize_ms=$M_MAT models_ms=$M_MODELS"
printf '%s' "$FILE_LINES"
echo "BENCH measure=server gtfs_materialize_ms=$G_TOTAL gtfs_files_ms=$G_FILES ref_statements_ms=$R_TOTAL ref_files_ms=$R_FILES"
if [ -n "${PERF:-}" ]; then
  for side in materialize reference; do
    line="BENCH measure=perf side=$side"
    for p in "${PHASES[@]}" total; do line+=" $p=${PERFCNT[$side.$p]:-0}"; done
    echo "$line"
  done
fi
