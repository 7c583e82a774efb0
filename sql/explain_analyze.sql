-- EXPLAIN shows the source and the file, never a secret; only the columns a
-- query uses are converted; ANALYZE works and feeds the planner.
\getenv shared GTFS_SHARED
\set subway_zip :shared '/mta-subway.zip'

CREATE SERVER subway FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'subway_zip');
CREATE FOREIGN TABLE stop_times (
    trip_id text, arrival_time interval, departure_time interval,
    stop_id text, stop_sequence integer, pickup_type integer
) SERVER subway OPTIONS (file 'stop_times.txt');
CREATE FOREIGN TABLE stops (stop_id text, stop_name text, stop_lat float8)
  SERVER subway OPTIONS (file 'stops.txt', rows '1500');

-- the source, the file and, with VERBOSE, the columns converted
EXPLAIN (COSTS OFF, VERBOSE)
SELECT stop_id, arrival_time FROM stop_times WHERE stop_sequence = 1;
EXPLAIN (COSTS OFF, VERBOSE) SELECT count(*) FROM stop_times;
EXPLAIN (COSTS OFF, VERBOSE) SELECT s FROM stops s;

-- with COSTS, the file's sizes from the zip's directory
EXPLAIN SELECT * FROM stops;

-- before ANALYZE, the estimate comes from the file's size: the right order
-- of magnitude (565093 rows), not a constant
CREATE FUNCTION pg_temp.estimated_rows(query text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::bigint;
END $$;
SELECT pg_temp.estimated_rows('SELECT * FROM stop_times') BETWEEN 300000 AND 1500000
  AS size_based;
-- the rows option wins over the size
EXPLAIN SELECT * FROM stops;

-- EXPLAIN ANALYZE says what the fetch did
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM stops;

-- ANALYZE samples the whole file
ANALYZE stop_times;
SELECT reltuples FROM pg_class WHERE oid = 'stop_times'::regclass;
SELECT attname, null_frac, n_distinct > 0 AS has_ndistinct
FROM pg_stats WHERE tablename = 'stop_times' ORDER BY attname;
EXPLAIN SELECT * FROM stop_times WHERE pickup_type = 1;

DROP SERVER subway CASCADE;
