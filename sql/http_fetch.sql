-- Feeds over HTTP from the fixture server on 127.0.0.1: the cache,
-- conditional requests, one fetch per transaction, and every fault the
-- server can inject.  Failed downloads never replace a good cached copy.
\getenv port FIXTURE_PORT
\set base 'http://127.0.0.1:' :port
SET gtfs_fdw.cache_dir = 'gtfs_fdw_cache_http_test';
SELECT gtfs_fdw.cache_clear() >= 0 AS cleared;

\i test/fixture_client.sql
SELECT pg_temp.fixture('/stats/reset');
-- what a scan's fetch did, from EXPLAIN ANALYZE
CREATE FUNCTION pg_temp.fetch_outcome(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
        IF line LIKE '%GTFS Fetch:%' THEN
            RETURN btrim(split_part(line, 'GTFS Fetch:', 2));
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- first read downloads; the next transaction asks with If-None-Match and
-- gets 304: one conditional request, no body
\set minimal_url :base '/files/minimal.zip'
CREATE SERVER web FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'minimal_url');
CREATE SCHEMA web;
IMPORT FOREIGN SCHEMA gtfs FROM SERVER web INTO web;
SELECT pg_temp.seen('/files/minimal.zip');
SELECT pg_temp.fetch_outcome('SELECT * FROM web.stops');
SELECT pg_temp.seen('/files/minimal.zip');
SELECT count(*) FROM web.stops;
SELECT pg_temp.seen('/files/minimal.zip');
-- several tables in one statement, or one transaction, cost one request
SELECT count(*) FROM web.stop_times JOIN web.trips USING (trip_id) JOIN web.routes USING (route_id);
BEGIN;
SELECT count(*) FROM web.agency;
SELECT count(*) FROM web.calendar;
SELECT pg_temp.fetch_outcome('SELECT * FROM web.calendar_dates');
COMMIT;
SELECT pg_temp.seen('/files/minimal.zip');
-- the cache entry, with the validators the server sent
SELECT url, bytes, etag IS NOT NULL AS has_etag, last_modified IS NOT NULL AS has_last_modified,
       length(sha256), fetched_at <= validated_at AS revalidated_since
FROM gtfs_fdw.cache_entries ORDER BY url;

-- cache_ttl: within it, no request at all
\set ttl_url :base '/files/sample-gtfs-feed.zip'
CREATE SERVER web_ttl FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'ttl_url', cache_ttl '3600');
CREATE FOREIGN TABLE web_ttl_routes (route_id text) SERVER web_ttl OPTIONS (file 'routes.txt');
SELECT count(*) FROM web_ttl_routes;
SELECT pg_temp.fetch_outcome('SELECT * FROM web_ttl_routes');
SELECT pg_temp.seen('/files/sample-gtfs-feed.zip');

-- a server without validators: the second download brings the same bytes,
-- which counts as not modified
\set noetag_url :base '/noetag/minimal.zip'
CREATE SERVER web_noetag FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'noetag_url');
CREATE FOREIGN TABLE web_noetag_stops (stop_id text) SERVER web_noetag OPTIONS (file 'stops.txt');
SELECT pg_temp.fetch_outcome('SELECT * FROM web_noetag_stops');
SELECT pg_temp.fetch_outcome('SELECT * FROM web_noetag_stops');
SELECT pg_temp.seen('/noetag/minimal.zip');
-- Last-Modified alone is enough for a 304
\set lastmod_url :base '/lastmod/minimal.zip'
CREATE SERVER web_lastmod FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'lastmod_url');
CREATE FOREIGN TABLE web_lastmod_stops (stop_id text) SERVER web_lastmod OPTIONS (file 'stops.txt');
SELECT pg_temp.fetch_outcome('SELECT * FROM web_lastmod_stops');
SELECT pg_temp.fetch_outcome('SELECT * FROM web_lastmod_stops');
SELECT pg_temp.seen('/lastmod/minimal.zip');
-- compressed transfer is accepted and decoded
\set gzip_url :base '/gzip/minimal.zip'
CREATE SERVER web_gzip FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'gzip_url');
CREATE FOREIGN TABLE web_gzip_stops (stop_id text) SERVER web_gzip OPTIONS (file 'stops.txt');
SELECT count(*) FROM web_gzip_stops;

-- a feed that changes: a new ETag brings the new bytes
SELECT pg_temp.fixture('/control/set-version?name=feed&path=minimal.zip');
\set versioned_url :base '/versioned/feed'
CREATE SERVER web_versioned FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'versioned_url');
CREATE FOREIGN TABLE versioned_stops (stop_id text, stop_name text)
  SERVER web_versioned OPTIONS (file 'stops.txt');
SELECT count(*) FROM versioned_stops;
SELECT pg_temp.fetch_outcome('SELECT * FROM versioned_stops');
SELECT pg_temp.fixture('/control/set-version?name=feed&path=changed.zip');
SELECT pg_temp.fetch_outcome('SELECT * FROM versioned_stops');
SELECT stop_id, stop_name FROM versioned_stops WHERE stop_id = 'HYDE_PK';
SELECT pg_temp.seen('/versioned/feed');

-- faults on the same URL leave the good copy in the cache
CREATE TEMP TABLE good_copy AS
  SELECT sha256, bytes FROM gtfs_fdw.cache_entries WHERE url = :'versioned_url';
SELECT pg_temp.fixture('/control/set-version?name=feed&fault=status:503');
SELECT count(*) FROM versioned_stops;  -- ERROR
SELECT pg_temp.fixture('/control/set-version?name=feed&fault=truncate:700');
SELECT count(*) FROM versioned_stops;  -- ERROR
SELECT pg_temp.fixture('/control/set-version?name=feed&path=not_a_zip.zip');
SELECT count(*) FROM versioned_stops;  -- ERROR
SELECT pg_temp.fixture('/control/set-version?name=feed&path=truncated.zip');
SELECT count(*) FROM versioned_stops;  -- ERROR
SELECT c.sha256 = g.sha256 AS same_bytes, c.bytes = g.bytes AS same_size
FROM gtfs_fdw.cache_entries c, good_copy g WHERE c.url = :'versioned_url';
-- stale_if_error serves the cached copy, with a warning
ALTER SERVER web_versioned OPTIONS (ADD stale_if_error 'true');
SELECT count(*) FROM versioned_stops;
SELECT pg_temp.fetch_outcome('SELECT * FROM versioned_stops');
-- and once the server is healthy again, the next fetch is a normal one
SELECT pg_temp.fixture('/control/set-version?name=feed&path=minimal.zip');
SELECT pg_temp.fetch_outcome('SELECT * FROM versioned_stops');
SELECT count(*) FROM versioned_stops;

-- each fault is a clear error (the context would name a temporary schema)
\set SHOW_CONTEXT never
CREATE FUNCTION pg_temp.try_url(path text, extra text DEFAULT '') RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE SERVER fault FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url %L%s)',
                   current_setting('gtfs_test.base') || path, extra);
    CREATE FOREIGN TABLE fault_stops (stop_id text) SERVER fault OPTIONS (file 'stops.txt');
    PERFORM count(*) FROM fault_stops;
END $$;
BEGIN; SELECT pg_temp.try_url('/status/404/minimal.zip'); ROLLBACK;  -- ERROR
BEGIN; SELECT pg_temp.try_url('/status/500/minimal.zip'); ROLLBACK;  -- ERROR
BEGIN; SELECT pg_temp.try_url('/files/no-such-feed.zip'); ROLLBACK;  -- ERROR
BEGIN; SELECT pg_temp.try_url('/truncate/1000/minimal.zip'); ROLLBACK;  -- ERROR
BEGIN; SELECT pg_temp.try_url('/redirect/3/minimal.zip'); ROLLBACK;
BEGIN; SELECT pg_temp.try_url('/redirect/2/minimal.zip', ', max_redirects ''1'''); ROLLBACK;  -- ERROR
BEGIN; SELECT pg_temp.try_url('/redirect-loop/minimal.zip'); ROLLBACK;  -- ERROR
BEGIN; SELECT pg_temp.try_url('/big/2000000', ', max_bytes ''1000000'''); ROLLBACK;  -- ERROR
BEGIN; SELECT pg_temp.try_url('/big-chunked/2000000', ', max_bytes ''1000000'''); ROLLBACK;  -- ERROR
BEGIN; SELECT pg_temp.try_url('/slow/700/minimal.zip', ', timeout_ms ''1000'''); ROLLBACK;  -- ERROR
BEGIN; SELECT pg_temp.try_url('/stall/minimal.zip', ', timeout_ms ''800'''); ROLLBACK;  -- ERROR
-- timeout_ms bounds the whole download: four hops of 400 ms each exceed 1000 ms
BEGIN; SELECT pg_temp.try_url('/slow-redirect/400/3/minimal.zip', ', timeout_ms ''1000'''); ROLLBACK;  -- ERROR
-- while two of them fit
BEGIN; SELECT pg_temp.try_url('/slow-redirect/400/1/minimal.zip', ', timeout_ms ''1500'''); ROLLBACK;
-- statement_timeout stops a transfer too
SET statement_timeout = '1s';
BEGIN; SELECT pg_temp.try_url('/stall/minimal.zip'); ROLLBACK;  -- ERROR
RESET statement_timeout;
\set SHOW_CONTEXT errors
-- nothing listening
BEGIN;
CREATE SERVER fault FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'http://127.0.0.1:1/feed.zip');
CREATE FOREIGN TABLE fault_stops (stop_id text) SERVER fault OPTIONS (file 'stops.txt');
\set VERBOSITY terse
SELECT count(*) FROM fault_stops;  -- ERROR
\set VERBOSITY default
ROLLBACK;

-- none of the faults left anything behind in the cache but good copies
SELECT count(*) FILTER (WHERE url LIKE '%/status/%' OR url LIKE '%/truncate/%'
                           OR url LIKE '%/big%' OR url LIKE '%/stall/%') AS bad_entries
FROM gtfs_fdw.cache_entries;

DROP SCHEMA web CASCADE;
DROP SERVER web, web_ttl, web_noetag, web_lastmod, web_gzip, web_versioned CASCADE;
SELECT gtfs_fdw.cache_clear() > 0 AS cleared;
