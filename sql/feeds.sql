-- The feed registry: add, alter, disable, drop; the servers it creates; and
-- what pg_dump keeps.
\getenv datadir GTFS_TEST_DATA
\set minimal_zip :datadir '/minimal.zip'
\set changed_zip :datadir '/changed.zip'
SET client_min_messages = warning;

-- a feed from a url gets a server of its own, with the options given
SELECT gtfs_fdw.add_feed('alpha', url => :'minimal_zip',
                         server_options => '{"timeout_ms": "5000", "max_bytes": "10000000"}',
                         schedule => '*/30 * * * *') > 0 AS added;
SELECT name, kind, server_name, owns_server, staging_schema, enabled, schedule,
       on_error, max_rejected, keep_versions, last_status
FROM gtfs_fdw.feeds ORDER BY name;
SELECT srvname, srvoptions FROM pg_foreign_server WHERE srvname = 'gtfs_feed_alpha';

-- a feed may read a server of its own making, into a schema of its choice
CREATE SERVER beta_server FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'minimal_zip');
SELECT gtfs_fdw.add_feed('beta', server => 'beta_server', staging_schema => 'beta_data',
                         on_error => 'skip', max_rejected => 10, keep_versions => 1) > 0 AS added;

-- mistakes
SELECT gtfs_fdw.add_feed('Alpha Feed', url => :'minimal_zip');  -- ERROR
SELECT gtfs_fdw.add_feed('gamma');  -- ERROR
SELECT gtfs_fdw.add_feed('gamma', url => :'minimal_zip', server => 'beta_server');  -- ERROR
SELECT gtfs_fdw.add_feed('alpha', url => :'minimal_zip');  -- ERROR
SELECT gtfs_fdw.add_feed('gamma', server => 'no_such_server');  -- ERROR
SELECT gtfs_fdw.add_feed('gamma', server => 'beta_server', server_options => '{"timeout_ms": "1"}');  -- ERROR
SELECT gtfs_fdw.add_feed('gamma', url => 'ftp://example.org/feed.zip');  -- ERROR
SELECT gtfs_fdw.add_feed('gamma', url => :'minimal_zip', on_error => 'ignore');  -- ERROR
SELECT gtfs_fdw.add_feed('gamma', url => :'minimal_zip', keep_versions => -1);  -- ERROR
SELECT gtfs_fdw.add_feed('gamma', url => :'minimal_zip', server_options => '{"timeout": "1"}');  -- ERROR
SELECT count(*) AS feeds, (SELECT count(*) FROM pg_foreign_server WHERE srvname LIKE 'gtfs_feed_%') AS servers
FROM gtfs_fdw.feeds;
\set SHOW_CONTEXT never
CALL gtfs_refresh('no_such_feed');  -- ERROR
\set SHOW_CONTEXT errors

-- both load; each staging row names its feed and load
CALL gtfs_refresh();
SELECT feed, step, status FROM gtfs_fdw.load_log ORDER BY run_id, step;
SELECT f.name, s.feed_id = f.feed_id AS right_feed, s.load_id = f.last_load_id AS right_load, count(*)
FROM gtfs_stage_alpha.stops s JOIN gtfs_fdw.feeds f ON f.name = 'alpha' GROUP BY 1, 2, 3;
SELECT count(*) FROM beta_data.stops;
SELECT feed, enabled, staging_schema, server_name, schedule, last_status,
       last_success_at IS NOT NULL AS loaded, last_load_id > 0 AS has_load,
       last_bytes, length(last_sha256), last_load_rows
FROM gtfs_fdw.feed_status ORDER BY feed;

-- alter: a new url is a new source; the next refresh loads it
SELECT gtfs_fdw.alter_feed('alpha', url => :'changed_zip', schedule => '0 * * * *',
                           server_options => '{"timeout_ms": "7000", "max_bytes": null}');
SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'gtfs_feed_alpha';
SELECT schedule, last_sha256 IS NULL AS forgot_last_version FROM gtfs_fdw.feeds WHERE name = 'alpha';
SELECT gtfs_fdw.alter_feed('beta', url => :'changed_zip');  -- ERROR
SELECT gtfs_fdw.alter_feed('nope', enabled => false);  -- ERROR

-- a disabled feed is left alone by gtfs_refresh(), but can be refreshed by name
SELECT gtfs_fdw.disable_feed('beta');
CALL gtfs_refresh();
SELECT feed, status FROM gtfs_fdw.load_log WHERE step = 'refresh' ORDER BY run_id;
SELECT count(*) FROM gtfs_stage_alpha.stops;
CALL gtfs_refresh('beta');
SELECT feed, status FROM gtfs_fdw.load_log WHERE step = 'refresh' ORDER BY run_id DESC LIMIT 1;
SELECT gtfs_fdw.enable_feed('beta');

-- a staging schema can be renamed, data and all
SELECT gtfs_fdw.alter_feed('beta', staging_schema => 'beta_renamed');
SELECT count(*) FROM beta_renamed.stops;

-- the registry is user configuration: pg_dump keeps it
SELECT unnest(extconfig)::regclass AS dumped FROM pg_extension WHERE extname = 'gtfs_fdw' ORDER BY 1;

-- dropping a feed drops its server (if add_feed made it) and its archive;
-- its staging schema only when asked
SELECT count(*) AS archived_files FROM gtfs_fdw.feed_versions v
  JOIN gtfs_fdw.feeds f USING (feed_id) WHERE f.name = 'alpha';
CREATE TEMP TABLE alpha_files AS
  SELECT path FROM gtfs_fdw.feed_versions v JOIN gtfs_fdw.feeds f USING (feed_id) WHERE f.name = 'alpha';
SELECT gtfs_fdw.drop_feed('alpha', drop_staging => true);
SELECT count(*) FROM pg_foreign_server WHERE srvname = 'gtfs_feed_alpha';
SELECT count(*) FROM pg_namespace WHERE nspname = 'gtfs_stage_alpha';
SELECT count(*) AS files_left FROM alpha_files a
  WHERE (pg_stat_file(a.path, true)).size IS NOT NULL;
SELECT gtfs_fdw.drop_feed('beta');
SELECT count(*) FROM pg_foreign_server WHERE srvname = 'beta_server';
SELECT count(*) FROM beta_renamed.stops;
SELECT count(*) FROM gtfs_fdw.feeds;

DROP SCHEMA beta_renamed CASCADE;
DROP SERVER beta_server;
TRUNCATE gtfs_fdw.load_log, gtfs_fdw.model_runs, gtfs_fdw.test_results;
