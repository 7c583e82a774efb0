-- Reading a real feed (the bundled sample feed) from a local path: typed
-- values, GTFS dates and times, joins, subsets of columns in any order.
SET datestyle = ISO;
SET intervalstyle = postgres;
\getenv datadir GTFS_TEST_DATA
\set sample_zip :datadir '/sample-gtfs-feed.zip'

CREATE SERVER sample FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'sample_zip');
CREATE SCHEMA sample_raw;
IMPORT FOREIGN SCHEMA gtfs FROM SERVER sample INTO sample_raw;

-- the query from the README
SELECT r.route_short_name, count(*)
FROM sample_raw.trips t JOIN sample_raw.routes r USING (route_id)
GROUP BY 1 ORDER BY 1;

-- typed values: text (UTF-8), double precision, integers, empty -> NULL
SELECT stop_id, stop_code, stop_name, stop_lat, stop_lon, location_type,
       parent_station, wheelchair_boarding, level_id
FROM sample_raw.stops ORDER BY stop_id;
SELECT pg_typeof(stop_lat), pg_typeof(location_type), pg_typeof(stop_id)
FROM sample_raw.stops LIMIT 1;

-- GTFS dates become dates
SELECT service_id, start_date, end_date, end_date - start_date AS days, monday, sunday
FROM sample_raw.calendar ORDER BY service_id;
SELECT date, count(*) FROM sample_raw.calendar_dates GROUP BY date ORDER BY date LIMIT 4;

-- GTFS times become intervals, so times past midnight compare and add up
SELECT trip_id, stop_sequence, arrival_time, departure_time,
       departure_time - arrival_time AS dwell
FROM sample_raw.stop_times WHERE trip_id = 'a-downtown-all-day' ORDER BY stop_sequence;
SELECT trip_id, start_time, end_time, headway_secs, exact_times,
       (extract(epoch FROM end_time - start_time) / headway_secs)::int AS departures
FROM sample_raw.frequencies ORDER BY trip_id;

-- numbers from shapes: count and aggregate
SELECT count(*), count(DISTINCT shape_id), round(max(shape_dist_traveled)::numeric, 1)
FROM sample_raw.shapes;

-- string enum of translations stays text; other files read whole
SELECT table_name, field_name, language, translation, record_id
FROM sample_raw.translations ORDER BY 1, 2, 3, 5 LIMIT 5;
SELECT pathway_id, from_stop_id, to_stop_id, pathway_mode, is_bidirectional
FROM sample_raw.pathways ORDER BY pathway_id;
SELECT * FROM sample_raw.feed_info;

-- a hand-written table: a subset of columns, in another order, one of them
-- renamed with column_name, and a column the file does not carry
CREATE FOREIGN TABLE public.my_stops (
    name text OPTIONS (column_name 'stop_name'),
    lon float8 OPTIONS (column_name 'stop_lon'),
    stop_id text,
    zone_id text
) SERVER sample OPTIONS (file 'stops.txt');
SELECT * FROM public.my_stops ORDER BY stop_id LIMIT 4;

-- the table name picks the file when the file option is absent
CREATE FOREIGN TABLE public.levels (level_id text, level_index float8) SERVER sample;
SELECT * FROM public.levels ORDER BY level_index;

-- the same column read as another type goes through its input function
CREATE FOREIGN TABLE public.calendar_typed (
    service_id varchar(20), monday boolean, start_date text, end_date date
) SERVER sample OPTIONS (file 'calendar.txt');
SELECT * FROM public.calendar_typed ORDER BY service_id;

-- a scan can be restarted (the inner side of a nested loop)
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
SELECT s.stop_id, count(st.*) AS visits
FROM sample_raw.stops s LEFT JOIN sample_raw.stop_times st ON st.stop_id = s.stop_id
GROUP BY 1 ORDER BY 1;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;

-- a cursor reads part of a file and stops
BEGIN;
DECLARE c CURSOR FOR SELECT shape_id, shape_pt_sequence FROM sample_raw.shapes;
FETCH 2 FROM c;
CLOSE c;
COMMIT;

-- a local feed rewritten in place while a transaction reads it: the
-- transaction goes on with what it first read (a copy, not a mapping of a
-- file that shrank under it); the next transaction sees the new file
\set rewritten_zip :datadir '/rewritten-in-place.zip'
\setenv SAMPLE_ZIP :sample_zip
\setenv REWRITTEN_ZIP :rewritten_zip
\! cp "$SAMPLE_ZIP" "$REWRITTEN_ZIP" && chmod a+r "$REWRITTEN_ZIP"
CREATE SERVER rewritten FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'rewritten_zip');
CREATE FOREIGN TABLE public.rewritten_shapes (shape_id text, shape_pt_sequence integer)
  SERVER rewritten OPTIONS (file 'shapes.txt');
BEGIN;
SELECT count(*) FROM public.rewritten_shapes;
\! truncate -s 100 "$REWRITTEN_ZIP"
SELECT count(*) FROM public.rewritten_shapes;
COMMIT;
SELECT count(*) FROM public.rewritten_shapes;  -- ERROR
\! rm -f "$REWRITTEN_ZIP"
DROP SERVER rewritten CASCADE;

DROP FOREIGN TABLE public.my_stops, public.levels, public.calendar_typed;
DROP SCHEMA sample_raw CASCADE;
DROP SERVER sample;
