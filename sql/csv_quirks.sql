-- What real GTFS files look like: byte order marks, CRLF (and a mix of
-- CRLF and LF), quoted fields with commas, quotes and line breaks, blank
-- lines, short rows, header-only and empty files, files in a folder.
SET datestyle = ISO;
SET intervalstyle = postgres;
\getenv datadir GTFS_TEST_DATA
\getenv shared GTFS_SHARED
\set bom_zip :datadir '/bom_crlf.zip'
\set quoted_zip :datadir '/quoted.zip'
\set fewer_zip :datadir '/fewer_fields.zip'
\set nested_zip :datadir '/nested.zip'
\set empty_zip :datadir '/empty_and_header_only.zip'
\set midnight_zip :datadir '/past_midnight.zip'
\set official_zip :shared '/sample-feed-1.zip'

-- a BOM before the header and CRLF line ends change nothing
CREATE SERVER bom FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'bom_zip');
CREATE SCHEMA bom;
IMPORT FOREIGN SCHEMA gtfs FROM SERVER bom INTO bom;
SELECT agency_id, agency_name, agency_timezone FROM bom.agency ORDER BY 1;
SELECT stop_id, stop_name, stop_lat, stop_lon FROM bom.stops ORDER BY 1;
SELECT service_id, start_date, end_date, saturday FROM bom.calendar ORDER BY 1;
SELECT count(*) FROM bom.stop_times;

-- quoted fields: commas, doubled quotes, a line break; blank lines between
-- and after records; the line number of a record after a quoted line break
-- is the physical line (see the error below)
CREATE SERVER quoted FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'quoted_zip');
CREATE FOREIGN TABLE quoted_stops (stop_id text, stop_name text, stop_desc text)
  SERVER quoted OPTIONS (file 'stops.txt');
SELECT stop_id, stop_name, stop_desc, length(stop_desc) AS len FROM quoted_stops ORDER BY 1;
CREATE FOREIGN TABLE quoted_stops_bad (stop_id text, wheelchair_boarding boolean)
  SERVER quoted OPTIONS (file 'stops.txt');
SELECT * FROM quoted_stops_bad;  -- ERROR

-- quotes inside an unquoted field are literal; CR line ends, a CR inside a
-- quoted field still counts as a line (the bad latitude is on line 6)
\set stray_zip :datadir '/stray_quotes.zip'
CREATE SERVER stray FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'stray_zip');
CREATE FOREIGN TABLE stray_stops (stop_id text, stop_name text, stop_desc text)
  SERVER stray OPTIONS (file 'stops.txt');
SELECT stop_id, stop_name, stop_desc FROM stray_stops ORDER BY 1;
CREATE FOREIGN TABLE stray_stops_lat (stop_id text, stop_lat double precision)
  SERVER stray OPTIONS (file 'stops.txt');
SELECT * FROM stray_stops_lat;  -- ERROR
-- text after the closing quote of a quoted field is an error, not a field
-- that swallows the lines after it
\set quote_after_zip :datadir '/quote_after_field.zip'
CREATE SERVER quote_after FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'quote_after_zip');
CREATE FOREIGN TABLE quote_after_stops (stop_id text, stop_name text)
  SERVER quote_after OPTIONS (file 'stops.txt', on_error 'skip');
SELECT count(*) FROM quote_after_stops;  -- ERROR
DROP SERVER stray, quote_after CASCADE;

-- rows shorter than the header: the missing trailing fields are NULL
CREATE SERVER fewer FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'fewer_zip');
CREATE SCHEMA fewer;
IMPORT FOREIGN SCHEMA gtfs LIMIT TO (stops) FROM SERVER fewer INTO fewer;
SELECT stop_id, stop_lat, zone_id, location_type, wheelchair_boarding FROM fewer.stops ORDER BY 1;

-- a feed whose files sit in a folder of the zip; macOS junk is ignored
CREATE SERVER nested FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'nested_zip');
CREATE SCHEMA nested;
IMPORT FOREIGN SCHEMA gtfs FROM SERVER nested INTO nested;
SELECT foreign_table_name, option_value
FROM information_schema.foreign_table_options
WHERE foreign_table_schema = 'nested' AND option_name = 'file' ORDER BY 1;
SELECT stop_id, stop_name FROM nested.stops ORDER BY 1;
-- a hand-written table may name the file without its folder
CREATE FOREIGN TABLE nested_routes (route_id text) SERVER nested OPTIONS (file 'routes.txt');
SELECT * FROM nested_routes ORDER BY 1;

-- a header-only file without a final newline, and a zero-byte file
CREATE SERVER empty FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'empty_zip');
CREATE SCHEMA empty;
IMPORT FOREIGN SCHEMA gtfs LIMIT TO (shapes, frequencies, stops) FROM SERVER empty INTO empty;
SELECT count(*) FROM empty.shapes;
SELECT count(*) FROM empty.frequencies;
SELECT count(*) FROM empty.stops;

-- times past midnight and H:MM:SS times
CREATE SERVER midnight FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'midnight_zip');
CREATE FOREIGN TABLE midnight_stop_times (
    trip_id text, stop_sequence integer, arrival_time interval, departure_time interval
) SERVER midnight OPTIONS (file 'stop_times.txt');
SELECT trip_id, stop_sequence, arrival_time, departure_time,
       extract(epoch FROM departure_time)::int AS seconds,
       departure_time > interval '24 hours' AS next_day
FROM midnight_stop_times ORDER BY trip_id, stop_sequence;

-- the official example feed of the GTFS reference (2007): CRLF and LF files
-- mixed, a header-only shapes.txt without a final newline, H:MM:SS times,
-- trailing empty fields, and an unknown column drop_off_time
CREATE SERVER official FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'official_zip');
CREATE SCHEMA official;
IMPORT FOREIGN SCHEMA gtfs FROM SERVER official INTO official;
SELECT agency_id, agency_name, agency_url, agency_timezone FROM official.agency;
SELECT count(*) FROM official.shapes;
SELECT fare_id, price, pg_typeof(price), currency_type, payment_method, transfers, transfer_duration
FROM official.fare_attributes ORDER BY 1;
SELECT trip_id, arrival_time, departure_time, stop_id, stop_sequence, drop_off_time
FROM official.stop_times ORDER BY trip_id, stop_sequence LIMIT 5;
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'official.stop_times'::regclass AND attnum > 16 ORDER BY attnum;
SELECT trip_id, start_time, end_time, headway_secs, exact_times
FROM official.frequencies ORDER BY trip_id, start_time;
SELECT (SELECT count(*) FROM official.stops) AS stops,
       (SELECT count(*) FROM official.routes) AS routes,
       (SELECT count(*) FROM official.trips) AS trips,
       (SELECT count(*) FROM official.stop_times) AS stop_times,
       (SELECT count(*) FROM official.calendar) AS calendar,
       (SELECT count(*) FROM official.calendar_dates) AS calendar_dates,
       (SELECT count(*) FROM official.fare_rules) AS fare_rules;

DROP SCHEMA bom, fewer, nested, empty, official CASCADE;
DROP SERVER bom, quoted, fewer, nested, empty, midnight, official CASCADE;
