-- IMPORT FOREIGN SCHEMA: one table per file, typed from the GTFS reference;
-- files and columns beyond the reference come along as text.
\getenv datadir GTFS_TEST_DATA
\set unknown_zip :datadir '/unknown_file.zip'
\set minimal_zip :datadir '/minimal.zip'

CREATE SERVER unknown FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'unknown_zip');
CREATE SCHEMA imp;
IMPORT FOREIGN SCHEMA gtfs FROM SERVER unknown INTO imp;
SELECT c.relname, ft.ftoptions
FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
WHERE c.relnamespace = 'imp'::regnamespace ORDER BY 1;

-- a spec file: every field of the reference, typed, then the feed's extra
-- column (platform_zone) as text
SELECT attnum, attname, format_type(atttypid, atttypmod)
FROM pg_attribute WHERE attrelid = 'imp.stops'::regclass AND attnum > 0 ORDER BY attnum;
SELECT stop_id, stop_name, platform_zone, zone_id, tts_stop_name FROM imp.stops ORDER BY 1;

-- a file the reference does not know: text columns from its header
SELECT attnum, attname, format_type(atttypid, atttypmod)
FROM pg_attribute WHERE attrelid = 'imp.vehicles'::regclass AND attnum > 0 ORDER BY attnum;
SELECT * FROM imp.vehicles ORDER BY 1;

-- LIMIT TO and EXCEPT
CREATE SCHEMA imp_limit;
IMPORT FOREIGN SCHEMA gtfs LIMIT TO (stops, routes) FROM SERVER unknown INTO imp_limit;
SELECT relname FROM pg_class WHERE relnamespace = 'imp_limit'::regnamespace ORDER BY 1;
CREATE SCHEMA imp_except;
IMPORT FOREIGN SCHEMA gtfs EXCEPT (stop_times, vehicles, calendar_dates)
  FROM SERVER unknown INTO imp_except;
SELECT relname FROM pg_class WHERE relnamespace = 'imp_except'::regnamespace ORDER BY 1;

-- a LIMIT TO naming a file the feed does not have is a mistake
CREATE SCHEMA imp_missing;
IMPORT FOREIGN SCHEMA gtfs LIMIT TO (stops, shapes) FROM SERVER unknown INTO imp_missing;  -- ERROR

-- all_files: a table for every file of the reference, so that queries and
-- models work on feeds without the optional files; absent files read empty
CREATE SCHEMA imp_all;
IMPORT FOREIGN SCHEMA gtfs FROM SERVER unknown INTO imp_all OPTIONS (all_files 'true');
SELECT count(*) AS tables,
       count(*) FILTER (WHERE ftoptions @> '{missing_ok=true}') AS absent_from_feed
FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
WHERE c.relnamespace = 'imp_all'::regnamespace;
SELECT count(*) FROM imp_all.shapes;
SELECT count(*) FROM imp_all.fare_products;
SELECT count(*) FROM imp_all.stops;

-- mistakes
IMPORT FOREIGN SCHEMA public FROM SERVER unknown INTO imp_missing;  -- ERROR
IMPORT FOREIGN SCHEMA gtfs FROM SERVER unknown INTO imp_missing OPTIONS (files 'all');  -- ERROR
IMPORT FOREIGN SCHEMA gtfs FROM SERVER unknown INTO imp_missing OPTIONS (on_error 'ignore');  -- ERROR
IMPORT FOREIGN SCHEMA gtfs LIMIT TO (stops) FROM SERVER unknown INTO imp;  -- ERROR

DROP SCHEMA imp, imp_limit, imp_except, imp_missing, imp_all CASCADE;
DROP SERVER unknown;
