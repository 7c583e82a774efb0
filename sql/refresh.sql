-- gtfs_refresh() against the fixture server: a first load, an unchanged
-- feed costing one conditional request, a changed feed reloaded, and every
-- failure leaving the previous load intact, logged, and retried next time.
\getenv port FIXTURE_PORT
\getenv shared GTFS_SHARED
\set base 'http://127.0.0.1:' :port
\set subway_zip :shared '/mta-subway.zip'
SET client_min_messages = warning;
SET gtfs_fdw.cache_dir = 'gtfs_fdw_cache_refresh_test';
-- the models have a test of their own (models.sql)
SET gtfs_fdw.refresh_models = off;
\i test/fixture_client.sql
-- the last run of a feed, step by step
CREATE FUNCTION pg_temp.last_run(feed_name text)
RETURNS TABLE (step text, status text, message text, sqlstate text) LANGUAGE sql AS $$
    SELECT step, status, message, sqlstate FROM gtfs_fdw.load_log
    WHERE feed = feed_name AND run_id = (SELECT max(run_id) FROM gtfs_fdw.load_log WHERE feed = feed_name)
    ORDER BY started_at, step = 'refresh'
$$;

SELECT pg_temp.fixture('/control/set-version?name=city&path=minimal.zip');
SELECT pg_temp.fixture('/stats/reset');
\set city_url :base '/versioned/city'
SELECT gtfs_fdw.add_feed('city', url => :'city_url') > 0 AS added;

-- the first refresh downloads, archives and loads
CALL gtfs_refresh('city');
SELECT * FROM pg_temp.last_run('city');
SELECT rows FROM gtfs_fdw.load_log WHERE feed = 'city' AND step = 'refresh';
SELECT count(*) AS stops FROM gtfs_stage_city.stops;
SELECT pg_temp.seen('/versioned/city');
-- keys and indexes from the reference, and statistics
SELECT indexrelid::regclass AS index, indisprimary AS primary_key, indisunique AS is_unique
FROM pg_index WHERE indrelid IN ('gtfs_stage_city.stop_times'::regclass, 'gtfs_stage_city.trips'::regclass,
                                 'gtfs_stage_city.agency'::regclass)
ORDER BY 1::text;
SELECT relname, reltuples FROM pg_class
WHERE relnamespace = 'gtfs_stage_city'::regnamespace AND relname IN ('stops', 'stop_times') ORDER BY 1;
CREATE TEMP TABLE first_load AS
  SELECT last_load_id AS load_id FROM gtfs_fdw.feeds WHERE name = 'city';

-- unchanged: one conditional request, nothing else
CALL gtfs_refresh('city');
SELECT * FROM pg_temp.last_run('city');
SELECT pg_temp.seen('/versioned/city');
SELECT count(*) AS stops, bool_and(load_id = (SELECT load_id FROM first_load)) AS same_load
FROM gtfs_stage_city.stops;

-- changed: a new ETag with new bytes reloads; a view on a staging table
-- follows the swap, and a grant on it is kept
CREATE VIEW public.city_stop_names AS SELECT stop_id, stop_name FROM gtfs_stage_city.stops;
CREATE ROLE gtfs_city_reader;
GRANT SELECT ON gtfs_stage_city.stops TO gtfs_city_reader;
GRANT SELECT (route_short_name) ON gtfs_stage_city.routes TO gtfs_city_reader;
SELECT pg_temp.fixture('/control/set-version?name=city&path=changed.zip');
CALL gtfs_refresh('city');
SELECT * FROM pg_temp.last_run('city');
SELECT count(*) AS stops, bool_and(load_id > (SELECT load_id FROM first_load)) AS new_load
FROM gtfs_stage_city.stops;
SELECT count(*) AS stops_in_view FROM public.city_stop_names;
SELECT has_table_privilege('gtfs_city_reader', 'gtfs_stage_city.stops', 'SELECT') AS still_granted,
       has_column_privilege('gtfs_city_reader', 'gtfs_stage_city.routes', 'route_short_name', 'SELECT')
         AS column_still_granted;
DROP VIEW public.city_stop_names;
REVOKE ALL ON gtfs_stage_city.stops FROM gtfs_city_reader;
REVOKE ALL (route_short_name) ON gtfs_stage_city.routes FROM gtfs_city_reader;
DROP ROLE gtfs_city_reader;
SELECT count(*) AS versions FROM gtfs_fdw.feed_versions v JOIN gtfs_fdw.feeds f USING (feed_id)
WHERE f.name = 'city';
-- a new ETag over the same bytes changes nothing
SELECT pg_temp.fixture('/control/set-version?name=city&path=changed.zip');
CALL gtfs_refresh('city');
SELECT step, status FROM pg_temp.last_run('city');

-- Failures.  Each leaves the previous load in place and queryable, and is
-- logged with its message and SQLSTATE.
CREATE TEMP TABLE good_load AS
  SELECT last_load_id AS load_id, (SELECT count(*) FROM gtfs_stage_city.stops) AS stops
  FROM gtfs_fdw.feeds WHERE name = 'city';
CREATE FUNCTION pg_temp.previous_load_intact() RETURNS boolean LANGUAGE sql AS $$
    SELECT count(*) = (SELECT stops FROM good_load)
           AND bool_and(load_id = (SELECT load_id FROM good_load))
    FROM gtfs_stage_city.stops
$$;
-- the server fails
SELECT pg_temp.fixture('/control/set-version?name=city&fault=status:503');
CALL gtfs_refresh('city');
SELECT * FROM pg_temp.last_run('city');
SELECT pg_temp.previous_load_intact();
-- the download is cut short
SELECT pg_temp.fixture('/control/set-version?name=city&fault=truncate:500');
CALL gtfs_refresh('city');
SELECT * FROM pg_temp.last_run('city');
SELECT pg_temp.previous_load_intact();
-- the zip is corrupt
SELECT pg_temp.fixture('/control/set-version?name=city&path=truncated.zip');
CALL gtfs_refresh('city');
SELECT * FROM pg_temp.last_run('city');
SELECT pg_temp.previous_load_intact();
-- a required file is missing
SELECT pg_temp.fixture('/control/set-version?name=city&path=missing_trips.zip');
CALL gtfs_refresh('city');
SELECT * FROM pg_temp.last_run('city');
SELECT pg_temp.previous_load_intact();
-- a bad value
SELECT pg_temp.fixture('/control/set-version?name=city&path=bad_lat.zip');
CALL gtfs_refresh('city');
SELECT * FROM pg_temp.last_run('city');
SELECT pg_temp.previous_load_intact();
-- a primary key violated
SELECT pg_temp.fixture('/control/set-version?name=city&path=duplicate_key.zip');
CALL gtfs_refresh('city');
SELECT * FROM pg_temp.last_run('city');
SELECT pg_temp.previous_load_intact();
-- a primary key value missing
SELECT pg_temp.fixture('/control/set-version?name=city&path=empty_key.zip');
CALL gtfs_refresh('city');
SELECT * FROM pg_temp.last_run('city');
SELECT pg_temp.previous_load_intact();
-- a materialized view on a staging table, which a swap cannot carry over:
-- refused before any work, naming it
CREATE MATERIALIZED VIEW public.city_stop_count AS SELECT count(*) FROM gtfs_stage_city.stops;
SELECT pg_temp.fixture('/control/set-version?name=city&path=minimal.zip');
CALL gtfs_refresh('city', force => true);
SELECT step, status, split_part(message, E'\n', 1) AS message FROM pg_temp.last_run('city')
WHERE step = 'materialize';
SELECT pg_temp.previous_load_intact();
DROP MATERIALIZED VIEW public.city_stop_count;
-- failed versions were not archived; the state says failed
SELECT count(*) AS versions FROM gtfs_fdw.feed_versions v JOIN gtfs_fdw.feeds f USING (feed_id)
WHERE f.name = 'city';
SELECT last_status, last_load_id = (SELECT load_id FROM good_load) AS same_load
FROM gtfs_fdw.feeds WHERE name = 'city';
-- the next refresh retries, and succeeds once the feed is fixed
SELECT pg_temp.fixture('/control/set-version?name=city&path=minimal.zip');
CALL gtfs_refresh('city');
SELECT step, status FROM pg_temp.last_run('city');
SELECT count(*) AS stops FROM gtfs_stage_city.stops;

-- Bad rows with on_error 'skip' land in gtfs_fdw.rejected_rows
SELECT gtfs_fdw.alter_feed('city', on_error => 'skip');
SELECT pg_temp.fixture('/control/set-version?name=city&path=bad_lat.zip');
CALL gtfs_refresh('city');
SELECT step, status FROM pg_temp.last_run('city');
SELECT count(*) AS stops FROM gtfs_stage_city.stops;
SELECT feed, load_id = (SELECT last_load_id FROM gtfs_fdw.feeds WHERE name = 'city') AS this_load,
       file, line, column_name, value, reason, sqlstate
FROM gtfs_fdw.rejected_rows;
-- and more than max_rejected of them fail the load
SELECT gtfs_fdw.alter_feed('city', max_rejected => 0);
CALL gtfs_refresh('city', force => true);
SELECT * FROM pg_temp.last_run('city');
SELECT gtfs_fdw.alter_feed('city', on_error => 'stop', max_rejected => 1000);

-- A statement timeout in the middle of a large load: the previous load
-- stays, the log says so, and the caller sees the cancel.
SELECT gtfs_fdw.add_feed('subway', url => :'subway_zip') > 0 AS added;
CALL gtfs_refresh('subway');
SELECT step, status FROM pg_temp.last_run('subway');
SET statement_timeout = '400ms';
\set SHOW_CONTEXT never
CALL gtfs_refresh('subway', force => true);  -- ERROR
\set SHOW_CONTEXT errors
RESET statement_timeout;
SELECT * FROM pg_temp.last_run('subway');
SELECT count(*) AS stop_times, count(DISTINCT load_id) AS loads,
       min(load_id) = (SELECT last_load_id FROM gtfs_fdw.feeds WHERE name = 'subway') AS last_good
FROM gtfs_stage_subway.stop_times;

-- re-running on the same data changes nothing; forcing it gives the same rows
CREATE TEMP TABLE before_force AS SELECT * FROM gtfs_stage_subway.trips;
CALL gtfs_refresh('subway', force => true);
SELECT step, status FROM pg_temp.last_run('subway');
SELECT count(*) AS differing_rows FROM (
    (SELECT route_id, trip_id, service_id, trip_headsign, direction_id, shape_id FROM before_force
     EXCEPT ALL SELECT route_id, trip_id, service_id, trip_headsign, direction_id, shape_id FROM gtfs_stage_subway.trips)
    UNION ALL
    (SELECT route_id, trip_id, service_id, trip_headsign, direction_id, shape_id FROM gtfs_stage_subway.trips
     EXCEPT ALL SELECT route_id, trip_id, service_id, trip_headsign, direction_id, shape_id FROM before_force)) d;

-- a file of the archive that no row names (a crash between writing it and
-- committing its row) goes at the feed's next archive step
SELECT format('%s/%s', CASE WHEN current_setting('gtfs_fdw.archive_dir') LIKE '/%'
                            THEN current_setting('gtfs_fdw.archive_dir')
                            ELSE current_setting('data_directory') || '/' ||
                                 current_setting('gtfs_fdw.archive_dir') END,
              feed_id) AS archive_dir
FROM gtfs_fdw.feeds WHERE name = 'city' \gset
\set orphan :archive_dir '/orphan.zip'
COPY (SELECT 'left by a crash') TO :'orphan';
SELECT count(*) AS orphans FROM pg_ls_dir(:'archive_dir') f WHERE f = 'orphan.zip';
SELECT pg_temp.fixture('/control/set-version?name=city&path=minimal.zip');
CALL gtfs_refresh('city', force => true);
SELECT count(*) AS orphans FROM pg_ls_dir(:'archive_dir') f WHERE f = 'orphan.zip';
SELECT count(*) AS archived_files_kept FROM gtfs_fdw.feed_versions v JOIN gtfs_fdw.feeds f USING (feed_id)
WHERE f.name = 'city' AND v.path LIKE '%' || v.sha256 || '.zip';

-- a run cut off before it finished (a crash) is marked when the next begins;
-- a run whose session is alive (waiting for the lock, say) is not
INSERT INTO gtfs_fdw.load_log (run_id, feed_id, feed, step, status)
SELECT nextval('gtfs_fdw.run_id_seq'), feed_id, name, 'refresh', 'running'
FROM gtfs_fdw.feeds WHERE name = 'city';
INSERT INTO gtfs_fdw.load_log (run_id, feed_id, feed, step, status, backend_pid, backend_start)
SELECT nextval('gtfs_fdw.run_id_seq'), feed_id, name, 'refresh', 'running', a.pid, a.backend_start
FROM gtfs_fdw.feeds, pg_stat_activity a WHERE name = 'city' AND a.pid = pg_backend_pid();
CALL gtfs_refresh('city');
SELECT status, message, backend_pid = pg_backend_pid() AS this_session
FROM gtfs_fdw.load_log WHERE feed = 'city' AND step = 'refresh'
ORDER BY run_id DESC LIMIT 3;
DELETE FROM gtfs_fdw.load_log WHERE status = 'running';

-- history is pruned by age, but each feed keeps its last ten runs
UPDATE gtfs_fdw.load_log SET started_at = started_at - interval '90 days';
SELECT gtfs_fdw.prune_history() > 0 AS pruned;
SELECT feed, count(DISTINCT run_id) FROM gtfs_fdw.load_log GROUP BY 1 ORDER BY 1;

SELECT gtfs_fdw.drop_feed('city', drop_staging => true);
SELECT gtfs_fdw.drop_feed('subway', drop_staging => true);
TRUNCATE gtfs_fdw.load_log, gtfs_fdw.model_runs, gtfs_fdw.test_results;
SELECT gtfs_fdw.cache_clear() > 0 AS cleared;
