-- Bad input gets a clear error naming the file, line, column and value;
-- with on_error 'skip' the bad rows are skipped and counted.
SET intervalstyle = postgres;
\getenv datadir GTFS_TEST_DATA
\set bad_time_zip :datadir '/bad_time.zip'
\set bad_date_zip :datadir '/bad_date.zip'
\set bad_lat_zip :datadir '/bad_lat.zip'
\set bad_int_zip :datadir '/bad_int.zip'
\set bad_utf8_zip :datadir '/invalid_utf8.zip'
\set missing_zip :datadir '/missing_required.zip'
\set minimal_zip :datadir '/minimal.zip'
\set not_a_zip :datadir '/not_a_zip.zip'
\set truncated_zip :datadir '/truncated.zip'
\set no_such_zip :datadir '/no_such_feed.zip'

CREATE SERVER bad_time FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'bad_time_zip');
CREATE SERVER bad_date FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'bad_date_zip');
CREATE SERVER bad_lat FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'bad_lat_zip');
CREATE SERVER bad_int FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'bad_int_zip');
CREATE SERVER bad_utf8 FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'bad_utf8_zip');
CREATE SERVER missing FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'missing_zip');
CREATE SERVER minimal FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'minimal_zip');
CREATE SCHEMA bad;
IMPORT FOREIGN SCHEMA gtfs LIMIT TO (stop_times) FROM SERVER bad_time INTO bad;
ALTER FOREIGN TABLE bad.stop_times RENAME TO bad_time_stop_times;
IMPORT FOREIGN SCHEMA gtfs LIMIT TO (calendar) FROM SERVER bad_date INTO bad;
IMPORT FOREIGN SCHEMA gtfs LIMIT TO (stops) FROM SERVER bad_lat INTO bad;
ALTER FOREIGN TABLE bad.stops RENAME TO bad_lat_stops;
IMPORT FOREIGN SCHEMA gtfs LIMIT TO (stop_times) FROM SERVER bad_int INTO bad;
ALTER FOREIGN TABLE bad.stop_times RENAME TO bad_int_stop_times;
IMPORT FOREIGN SCHEMA gtfs LIMIT TO (stops) FROM SERVER bad_utf8 INTO bad;
ALTER FOREIGN TABLE bad.stops RENAME TO bad_utf8_stops;
IMPORT FOREIGN SCHEMA gtfs LIMIT TO (stops) FROM SERVER missing INTO bad;
ALTER FOREIGN TABLE bad.stops RENAME TO missing_stops;

-- each error names the file, the line, the column and the value
SELECT * FROM bad.bad_time_stop_times;  -- ERROR
SELECT * FROM bad.calendar;  -- ERROR
SELECT * FROM bad.bad_lat_stops;  -- ERROR
SELECT * FROM bad.bad_int_stop_times;  -- ERROR
SELECT * FROM bad.bad_utf8_stops;  -- ERROR
-- also into a type read by its input function (varchar(n))
CREATE FOREIGN TABLE bad.bad_utf8_varchar (stop_id text, stop_name varchar(80))
  SERVER bad_utf8 OPTIONS (file 'stops.txt');
SELECT * FROM bad.bad_utf8_varchar;  -- ERROR
-- a bad value in a column the query does not read is not converted
SELECT trip_id, stop_id FROM bad.bad_time_stop_times ORDER BY 1, 2;
SELECT stop_id FROM bad.bad_lat_stops ORDER BY 1;
-- the SQLSTATE tells what kind of problem it is
DO $$
BEGIN
    PERFORM stop_lat FROM bad.bad_lat_stops;
EXCEPTION WHEN numeric_value_out_of_range THEN
    RAISE NOTICE 'numeric_value_out_of_range: %', SQLERRM;
END $$;
DO $$
BEGIN
    PERFORM arrival_time FROM bad.bad_time_stop_times;
EXCEPTION WHEN invalid_datetime_format THEN
    RAISE NOTICE 'invalid_datetime_format: %', SQLERRM;
END $$;
DO $$
BEGIN
    PERFORM stop_sequence FROM bad.bad_int_stop_times;
EXCEPTION WHEN invalid_text_representation THEN
    RAISE NOTICE 'invalid_text_representation: %', SQLERRM;
END $$;

-- a required column missing from the header, whatever the query reads
SELECT count(*) FROM bad.missing_stops;  -- ERROR
-- a column the reference does not know, missing from the header: a typo?
CREATE FOREIGN TABLE bad.typo_stops (stop_id text, stop_nmae text)
  SERVER minimal OPTIONS (file 'stops.txt');
SELECT * FROM bad.typo_stops;  -- ERROR
-- an optional column of the reference that the file lacks reads as NULL
CREATE FOREIGN TABLE bad.optional_stops (stop_id text, platform_code text, stop_access integer)
  SERVER minimal OPTIONS (file 'stops.txt');
SELECT * FROM bad.optional_stops ORDER BY 1;

-- on_error 'skip' skips bad rows, says how many, and names the first
ALTER FOREIGN TABLE bad.bad_time_stop_times OPTIONS (ADD on_error 'skip');
SELECT trip_id, stop_sequence, arrival_time FROM bad.bad_time_stop_times ORDER BY 1, 2;
ALTER FOREIGN TABLE bad.bad_lat_stops OPTIONS (ADD on_error 'skip');
SELECT stop_id, stop_lat FROM bad.bad_lat_stops ORDER BY 1;
ALTER FOREIGN TABLE bad.bad_utf8_stops OPTIONS (ADD on_error 'skip');
SELECT count(*) FROM bad.bad_utf8_stops;
-- skipping also covers types read through their input function, such as a
-- domain with a check of its own
CREATE DOMAIN bad.northern AS float8 CHECK (VALUE BETWEEN 0 AND 90);
CREATE FOREIGN TABLE bad.skip_generic (stop_id text, stop_lat bad.northern, stop_code smallint)
  SERVER bad_lat OPTIONS (file 'stops.txt', on_error 'skip');
SELECT * FROM bad.skip_generic ORDER BY 1;
-- in a parallel query (a Gather anywhere in the plan) those checks cannot
-- run, as they need a subtransaction: a clear error, not a wrong answer
CREATE TABLE bad.latitudes AS SELECT g::float8 AS lat FROM generate_series(1, 10000) g;
ANALYZE bad.latitudes;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SELECT count(*) FROM bad.latitudes l JOIN bad.skip_generic s ON l.lat = s.stop_lat;  -- ERROR
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
ALTER FOREIGN TABLE bad.skip_generic OPTIONS (SET on_error 'stop');
SELECT * FROM bad.skip_generic ORDER BY 1;  -- ERROR
-- and EXPLAIN ANALYZE shows the count
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT stop_id FROM bad.bad_lat_stops WHERE stop_lat > 0;
-- IMPORT can set on_error for every table
IMPORT FOREIGN SCHEMA gtfs LIMIT TO (stop_times) FROM SERVER bad_int INTO public
  OPTIONS (on_error 'skip');
SELECT count(*) FROM public.stop_times;
DROP FOREIGN TABLE public.stop_times;

-- a file the feed lacks
CREATE FOREIGN TABLE bad.no_shapes (shape_id text) SERVER minimal OPTIONS (file 'shapes.txt');
SELECT * FROM bad.no_shapes;  -- ERROR
ALTER FOREIGN TABLE bad.no_shapes OPTIONS (ADD missing_ok 'true');
SELECT count(*) FROM bad.no_shapes;

-- sources that are not GTFS feeds at all
CREATE SERVER not_a_zip FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'not_a_zip');
CREATE FOREIGN TABLE bad.html (a text) SERVER not_a_zip OPTIONS (file 'stops.txt');
SELECT * FROM bad.html;  -- ERROR
CREATE SERVER truncated FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'truncated_zip');
CREATE FOREIGN TABLE bad.cut (a text) SERVER truncated OPTIONS (file 'stops.txt');
SELECT * FROM bad.cut;  -- ERROR
CREATE SERVER nothing FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'no_such_zip');
CREATE FOREIGN TABLE bad.nothing (a text) SERVER nothing OPTIONS (file 'stops.txt');
SELECT * FROM bad.nothing;  -- ERROR

DROP SCHEMA bad CASCADE;
DROP SERVER bad_time, bad_date, bad_lat, bad_int, bad_utf8, missing, minimal,
  not_a_zip, truncated, nothing CASCADE;
