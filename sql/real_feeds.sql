-- Every file of the real MTA feeds (and the sample feed) reads back with
-- exactly the rows and values PostgreSQL's own CSV reader (COPY) finds in
-- the same file, extracted with unzip.
SET datestyle = ISO;
SET intervalstyle = postgres;
\getenv shared GTFS_SHARED
\set subway_zip :shared '/mta-subway.zip'
\set lirr_zip :shared '/mta-lirr.zip'
\set sample_zip :shared '/sample-gtfs-feed.zip'

-- For each foreign table of a schema: COPY the extracted file into a table
-- of the same columns and types, and compare both ways, row for row.
CREATE FUNCTION pg_temp.compare_with_copy(schema_name text, zip text)
RETURNS TABLE (file text, fdw_rows bigint, copy_rows bigint,
               only_in_fdw bigint, only_in_copy bigint)
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    header text;
BEGIN
    FOR t IN
        SELECT c.relname, (SELECT option_value FROM pg_options_to_table(ft.ftoptions)
                           WHERE option_name = 'file') AS member
        FROM pg_class c JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
        WHERE c.relnamespace = schema_name::regnamespace ORDER BY 1
    LOOP
        CREATE TEMP TABLE copy_header (line text);
        EXECUTE format('COPY copy_header FROM PROGRAM %L',
                       format('unzip -p %s %s | head -n 1', zip, t.member));
        SELECT replace(replace(line, E'\uFEFF', ''), E'\r', '') INTO header FROM copy_header;
        DROP TABLE copy_header;

        EXECUTE format('CREATE TEMP TABLE copied (LIKE %I.%I)', schema_name, t.relname);
        EXECUTE format('COPY copied (%s) FROM PROGRAM %L WITH (FORMAT csv, HEADER true)',
                       (SELECT string_agg(quote_ident(h), ', ')
                        FROM unnest(string_to_array(header, ',')) AS h),
                       format('unzip -p %s %s', zip, t.member));
        file := t.member;
        EXECUTE format('SELECT count(*) FROM %I.%I', schema_name, t.relname) INTO fdw_rows;
        SELECT count(*) INTO copy_rows FROM copied;
        EXECUTE format('SELECT count(*) FROM (SELECT * FROM %I.%I EXCEPT ALL SELECT * FROM copied) d',
                       schema_name, t.relname) INTO only_in_fdw;
        EXECUTE format('SELECT count(*) FROM (SELECT * FROM copied EXCEPT ALL SELECT * FROM %I.%I) d',
                       schema_name, t.relname) INTO only_in_copy;
        DROP TABLE copied;
        RETURN NEXT;
    END LOOP;
END $$;

CREATE SERVER mta_subway FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'subway_zip');
CREATE SCHEMA subway_raw;
IMPORT FOREIGN SCHEMA gtfs FROM SERVER mta_subway INTO subway_raw;
SELECT * FROM pg_temp.compare_with_copy('subway_raw', :'subway_zip');

CREATE SERVER mta_lirr FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'lirr_zip');
CREATE SCHEMA lirr_raw;
IMPORT FOREIGN SCHEMA gtfs FROM SERVER mta_lirr INTO lirr_raw;
SELECT * FROM pg_temp.compare_with_copy('lirr_raw', :'lirr_zip');

CREATE SERVER sample FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'sample_zip');
CREATE SCHEMA sample_raw;
IMPORT FOREIGN SCHEMA gtfs FROM SERVER sample INTO sample_raw;
SELECT * FROM pg_temp.compare_with_copy('sample_raw', :'sample_zip');

-- columns beyond the reference come along as text (LIRR's peak_offpeak,
-- feed_timezone), after the reference's own
SELECT attname, format_type(atttypid, atttypmod)
FROM pg_attribute WHERE attrelid = 'lirr_raw.trips'::regclass AND attnum > 0 ORDER BY attnum;
SELECT peak_offpeak, count(*) FROM lirr_raw.trips GROUP BY 1 ORDER BY 1;
SELECT feed_publisher_name, feed_timezone, feed_lang, feed_version FROM lirr_raw.feed_info;

-- spot checks of values against the published files
SELECT trip_id, stop_id, arrival_time, departure_time, stop_sequence
FROM subway_raw.stop_times ORDER BY arrival_time DESC, trip_id, stop_sequence LIMIT 3;
SELECT stop_id, stop_name, stop_lat, stop_lon, location_type, parent_station
FROM subway_raw.stops WHERE stop_id IN ('101', '101N', 'R01S') ORDER BY 1;
SELECT route_id, route_short_name, route_type, route_color, left(route_desc, 40) AS route_desc
FROM subway_raw.routes WHERE route_id IN ('A', 'GS', '7X') ORDER BY 1;

-- a join across the feed, as an analyst would write it
SELECT r.route_short_name, count(DISTINCT t.trip_id) AS trips, count(*) AS stop_times
FROM subway_raw.stop_times st
JOIN subway_raw.trips t USING (trip_id)
JOIN subway_raw.routes r USING (route_id)
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5;

DROP SCHEMA subway_raw, lirr_raw, sample_raw CASCADE;
DROP SERVER mta_subway, mta_lirr, sample;
