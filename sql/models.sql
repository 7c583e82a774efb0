-- The model runner: references and the DAG, selectors, materializations,
-- data tests and their severities, all-or-nothing runs, incremental
-- rebuilds of one feed's rows, and models of your own.
SET client_min_messages = warning;
\set SHOW_CONTEXT never
-- run numbers in the messages below count from here, whatever ran before
SELECT setval('gtfs_fdw.run_id_seq', 1000, false) AS first_run;
\getenv datadir GTFS_TEST_DATA
\set minimal_zip :datadir '/minimal.zip'
\set changed_zip :datadir '/changed.zip'

-- the built-in models, layer by layer, in build order
SELECT m.layer, s.depth, s.name, m.materialized, m.depends_on
FROM gtfs_fdw.select_models() s JOIN gtfs_fdw.models m USING (name)
ORDER BY s.depth, s.name;

-- selectors: a model, what depends on it (+ after), what it depends on
-- (+ before), a tag
SELECT string_agg(name, ' ' ORDER BY depth, name) FROM gtfs_fdw.select_models('dim_route+');
SELECT string_agg(name, ' ' ORDER BY depth, name) FROM gtfs_fdw.select_models('+fct_route_service_daily');
SELECT string_agg(name, ' ' ORDER BY depth, name) FROM gtfs_fdw.select_models('tag:dimensions stg_gtfs__stops');
SELECT * FROM gtfs_fdw.select_models('no_such_model');  -- ERROR

-- two feeds; a refresh loads each and builds its rows of the marts
SELECT gtfs_fdw.add_feed('north', url => :'minimal_zip') > 0 AS added;
SELECT gtfs_fdw.add_feed('south', url => :'changed_zip') > 0 AS added;
CALL gtfs_refresh();
SELECT feed, status, count(*) FROM gtfs_fdw.model_runs GROUP BY 1, 2 ORDER BY 1, 2;
SELECT feed_id = (SELECT feed_id FROM gtfs_fdw.feeds WHERE name = 'north') AS north, count(*)
FROM gtfs_mart.dim_stop GROUP BY 1 ORDER BY 1;
-- the marts are documented for BI tools
SELECT obj_description('gtfs_mart.fct_trip_days'::regclass, 'pg_class');
SELECT col_description('gtfs_mart.fct_trip_days'::regclass, 3) AS service_date;

-- a refresh of one feed rebuilds that feed's rows only
CREATE TEMP TABLE before AS
  SELECT feed_id, stop_id, xmin::text AS version FROM gtfs_mart.dim_stop;
CALL gtfs_refresh('south', force => true);
SELECT f.name, count(*) FILTER (WHERE b.version = d.xmin::text) AS untouched,
       count(*) FILTER (WHERE b.version <> d.xmin::text) AS rebuilt
FROM gtfs_mart.dim_stop d JOIN before b USING (feed_id, stop_id)
JOIN gtfs_fdw.feeds f USING (feed_id) GROUP BY 1 ORDER BY 1;

-- a model of your own, on top of the marts
SELECT gtfs_fdw.create_model('route_kpis', $$
-- route_kpis: trips and revenue hours per route over the whole service period
-- materialized: table
-- tests: unique(feed_id, route_id); not_null(trips)
select feed_id, route_id, sum(trips) as trips, sum(revenue_hours) as revenue_hours
from {{ ref('fct_route_service_daily') }}
group by feed_id, route_id
$$);
SELECT kind, model, test, status, failures FROM gtfs_fdw.run_models('route_kpis');
SELECT f.name, k.route_id, k.trips, k.revenue_hours
FROM gtfs_mart.route_kpis k JOIN gtfs_fdw.feeds f USING (feed_id) ORDER BY 1, 2;
SELECT name, layer, materialized, description, depends_on, builtin FROM gtfs_fdw.models WHERE name = 'route_kpis';

-- a failing test of severity error stops the run and leaves the model as
-- it was; the results say which test and how many rows
CREATE TEMP TABLE kpis_before AS SELECT * FROM gtfs_mart.route_kpis;
SELECT gtfs_fdw.create_model('route_kpis', $$
-- route_kpis: trips per route, now doubled
-- materialized: table
-- tests: unique(feed_id, route_id)
-- tests: sql at_most_500_trips: select * from {{ this }} where trips > 500
select feed_id, route_id, 2 * sum(trips) as trips, sum(revenue_hours) as revenue_hours
from {{ ref('fct_route_service_daily') }}
group by feed_id, route_id
$$, replace => true);
SELECT kind, model, test, status, failures, message FROM gtfs_fdw.run_models('route_kpis');
SELECT count(*) AS changed_rows FROM (
    (SELECT * FROM gtfs_mart.route_kpis EXCEPT SELECT * FROM kpis_before)
    UNION ALL (SELECT * FROM kpis_before EXCEPT SELECT * FROM gtfs_mart.route_kpis)) d;
SELECT model, test, severity, status, failures, sql IS NOT NULL AS has_sql
FROM gtfs_fdw.test_results WHERE run_id = (SELECT max(run_id) FROM gtfs_fdw.test_results);
SELECT model, status, message FROM gtfs_fdw.model_runs WHERE run_id = (SELECT max(run_id) FROM gtfs_fdw.model_runs);
-- the same test as a warning lets the run through
SELECT gtfs_fdw.create_model('route_kpis', replace('$$
-- route_kpis: trips per route, now doubled
-- materialized: table
-- tests: warn sql at_most_500_trips: select * from {{ this }} where trips > 500
select feed_id, route_id, 2 * sum(trips) as trips, sum(revenue_hours) as revenue_hours
from {{ ref(''fct_route_service_daily'') }}
group by feed_id, route_id
$$', '$$', ''), replace => true);
SELECT kind, model, test, status, failures FROM gtfs_fdw.run_models('route_kpis');
-- a table model is built aside and swapped in: views on it, grants and
-- declared indexes carry over to the new table
CREATE VIEW public.busy_routes AS SELECT feed_id, route_id, trips FROM gtfs_mart.route_kpis WHERE trips > 300;
CREATE ROLE gtfs_kpi_reader;
GRANT SELECT ON gtfs_mart.route_kpis TO gtfs_kpi_reader;
SELECT 'gtfs_mart.route_kpis'::regclass::oid AS kpis_oid \gset
SELECT gtfs_fdw.create_model('route_kpis', $$
-- route_kpis: trips per route, tripled
-- materialized: table
-- indexes: (route_id); (trips, route_id)
select feed_id, route_id, 3 * sum(trips) as trips, sum(revenue_hours) as revenue_hours
from {{ ref('fct_route_service_daily') }}
group by feed_id, route_id
$$, replace => true);
SELECT kind, model, status, rows FROM gtfs_fdw.run_models('route_kpis');
SELECT 'gtfs_mart.route_kpis'::regclass::oid <> :kpis_oid AS built_aside;
SELECT f.name, b.route_id, b.trips FROM public.busy_routes b JOIN gtfs_fdw.feeds f USING (feed_id) ORDER BY 1, 2;
SELECT has_table_privilege('gtfs_kpi_reader', 'gtfs_mart.route_kpis', 'SELECT') AS reader_keeps_select;
SELECT indexrelid::regclass AS index, gtfs_fdw.index_columns(indexrelid) AS columns
FROM pg_index WHERE indrelid = 'gtfs_mart.route_kpis'::regclass ORDER BY 1::text;
SELECT relname FROM pg_class WHERE relnamespace = 'gtfs_mart'::regnamespace
  AND (relname LIKE '\_new\_%' OR relname LIKE '\_old\_%');
DROP VIEW public.busy_routes;
REVOKE ALL ON gtfs_mart.route_kpis FROM gtfs_kpi_reader;
DROP ROLE gtfs_kpi_reader;

-- a test that cannot run is an error too
SELECT gtfs_fdw.create_model('broken_test', $$
-- tests: sql bad: select * from {{ this }} where no_such_column > 0
select 1 as x
$$, materialized => 'table');
SELECT kind, model, test, status FROM gtfs_fdw.run_models('broken_test');
SELECT gtfs_fdw.drop_model('broken_test');

-- a model whose SQL fails: the run stops, everything it did is undone
SELECT gtfs_fdw.create_model('divides_by_zero', $$ select feed_id, 1 / 0 as oops from {{ ref('dim_agency') }} $$,
                             materialized => 'table');
SELECT kind, model, status, message FROM gtfs_fdw.run_models('dim_agency+');
SELECT to_regclass('gtfs_mart.divides_by_zero') IS NULL AS not_created;
-- and in a refresh it fails the feed: staging and marts stay on the last good load
SELECT last_load_id AS good_load FROM gtfs_fdw.feeds WHERE name = 'north' \gset
CALL gtfs_refresh('north', force => true);
SELECT step, status, left(message, 70) AS message FROM gtfs_fdw.load_log
WHERE run_id = (SELECT max(run_id) FROM gtfs_fdw.load_log) ORDER BY started_at, step;
SELECT bool_and(load_id = :good_load) AS staging_unchanged FROM gtfs_stage_north.stops;
SELECT gtfs_fdw.drop_model('divides_by_zero');
CALL gtfs_refresh('north', force => true);
SELECT step, status FROM gtfs_fdw.load_log
WHERE run_id = (SELECT max(run_id) FROM gtfs_fdw.load_log) ORDER BY started_at, step;

-- incremental with the merge strategy: rows are updated in place by key
SELECT gtfs_fdw.create_model('stop_names', $$
-- materialized: incremental
-- incremental_strategy: merge
-- unique_key: feed_id, stop_id
select feed_id, stop_id, upper(stop_name) as name from {{ ref('dim_stop') }}
$$);
SELECT kind, model, status, rows FROM gtfs_fdw.run_models('stop_names');
SELECT kind, model, status, rows FROM gtfs_fdw.run_models('stop_names', feed => 'south');
SELECT count(*), count(DISTINCT (feed_id, stop_id)) FROM gtfs_mart.stop_names;
-- an incremental table gets the indexes its model declares; an index it
-- no longer declares is dropped, one added by hand stays
CREATE INDEX stop_names_by_hand ON gtfs_mart.stop_names (name);
UPDATE gtfs_fdw.models SET indexes = '{"name, feed_id", stop_id}' WHERE name = 'stop_names';
SELECT status FROM gtfs_fdw.run_models('stop_names', feed => 'south');
SELECT gtfs_fdw.index_columns(indexrelid) AS columns, obj_description(indexrelid, 'pg_class') AS comment
FROM pg_index WHERE indrelid = 'gtfs_mart.stop_names'::regclass ORDER BY 1;
UPDATE gtfs_fdw.models SET indexes = '{stop_id}' WHERE name = 'stop_names';
SELECT status FROM gtfs_fdw.run_models('stop_names', feed => 'south');
SELECT gtfs_fdw.index_columns(indexrelid) AS columns, obj_description(indexrelid, 'pg_class') AS comment
FROM pg_index WHERE indrelid = 'gtfs_mart.stop_names'::regclass ORDER BY 1;
-- an index on a column the model does not have fails the run
UPDATE gtfs_fdw.models SET indexes = '{stop_code}' WHERE name = 'stop_names';
SELECT kind, status, message FROM gtfs_fdw.run_models('stop_names');
UPDATE gtfs_fdw.models SET indexes = '{}' WHERE name = 'stop_names';

-- a view model whose columns change is created anew
SELECT gtfs_fdw.create_model('agency_names', $$ select feed_id, agency_name from {{ ref('dim_agency') }} $$);
SELECT status FROM gtfs_fdw.run_models('agency_names');
SELECT gtfs_fdw.create_model('agency_names', $$ select agency_name, feed_id, agency_url from {{ ref('dim_agency') }} $$,
                             replace => true);
SELECT status FROM gtfs_fdw.run_models('agency_names');
SELECT attname FROM pg_attribute WHERE attrelid = 'gtfs_mart.agency_names'::regclass AND attnum > 0 ORDER BY attnum;

-- a view of your own on a model keeps it from being dropped silently: a
-- model whose columns change is created anew only when nothing but models
-- of the run depend on it
CREATE VIEW public.my_agency_names AS SELECT agency_name FROM gtfs_mart.agency_names;
SELECT gtfs_fdw.create_model('agency_names', $$ select feed_id, agency_name from {{ ref('dim_agency') }} $$,
                             replace => true);
SELECT kind, status, message FROM gtfs_fdw.run_models('agency_names');
SELECT attname FROM pg_attribute WHERE attrelid = 'gtfs_mart.agency_names'::regclass AND attnum > 0 ORDER BY attnum;
DROP VIEW public.my_agency_names;
-- and a view model that becomes a table, and back
SELECT gtfs_fdw.create_model('agency_names', $$ select feed_id, agency_name from {{ ref('dim_agency') }} $$,
                             materialized => 'table', replace => true);
SELECT status FROM gtfs_fdw.run_models('agency_names');
SELECT relkind FROM pg_class WHERE oid = 'gtfs_mart.agency_names'::regclass;
SELECT gtfs_fdw.create_model('agency_names', $$ select feed_id, agency_name from {{ ref('dim_agency') }} $$,
                             replace => true);
SELECT status FROM gtfs_fdw.run_models('agency_names');
SELECT relkind FROM pg_class WHERE oid = 'gtfs_mart.agency_names'::regclass;
-- an unchanged view is left alone (re-creating it would lock out readers)
SELECT 'gtfs_mart.agency_names'::regclass::oid AS view_oid, xmin AS view_version
FROM pg_class WHERE oid = 'gtfs_mart.agency_names'::regclass \gset
SELECT status FROM gtfs_fdw.run_models('agency_names');
SELECT xmin = :'view_version'::xid AS untouched FROM pg_class WHERE oid = :view_oid;

-- merge: a feed's rows that left the result are deleted, a changed
-- unique_key becomes the primary key
SELECT gtfs_fdw.create_model('stop_names', $$
-- materialized: incremental
-- incremental_strategy: merge
-- unique_key: feed_id, stop_id
select feed_id, stop_id, upper(stop_name) as name from {{ ref('dim_stop') }}
where stop_id <> 'STA_PKP'
$$, replace => true);
SELECT f.name, count(*), bool_or(stop_id = 'STA_PKP') AS has_sta_pkp
FROM gtfs_mart.stop_names s JOIN gtfs_fdw.feeds f USING (feed_id) GROUP BY 1 ORDER BY 1;
SELECT kind, model, status, rows FROM gtfs_fdw.run_models('stop_names', feed => 'south');
SELECT f.name, count(*), bool_or(stop_id = 'STA_PKP') AS has_sta_pkp
FROM gtfs_mart.stop_names s JOIN gtfs_fdw.feeds f USING (feed_id) GROUP BY 1 ORDER BY 1;
UPDATE gtfs_fdw.models SET unique_key = '{feed_id,name,stop_id}' WHERE name = 'stop_names';
SELECT status FROM gtfs_fdw.run_models('stop_names', feed => 'south');
SELECT gtfs_fdw.index_columns(conindid) FROM pg_constraint
WHERE conrelid = 'gtfs_mart.stop_names'::regclass AND contype = 'p';

-- mistakes
SELECT gtfs_fdw.create_model('dangling', $$ select * from {{ ref('no_such_model') }} $$);  -- ERROR
SELECT gtfs_fdw.create_model('Bad Name', $$ select 1 $$);  -- ERROR
SELECT gtfs_fdw.create_model('odd', $$ select 1 $$, materialized => 'ephemeral');  -- ERROR
SELECT gtfs_fdw.create_model('odd', $$ select 1 $$, tests => ARRAY['unique feed_id']);  -- ERROR
SELECT gtfs_fdw.create_model('odd', $$ select 1 $$, materialized => 'incremental', incremental_strategy => 'merge');  -- ERROR
SELECT gtfs_fdw.create_model('odd', $$ select 1 as x $$, indexes => ARRAY['x', 'x; "Y"']);  -- ERROR
SELECT gtfs_fdw.create_model('odd', $$
-- indexes: (x), (y)
select 1 as x, 2 as y $$);  -- ERROR
SELECT gtfs_fdw.create_model('route_kpis', $$ select 1 $$);  -- ERROR
SELECT gtfs_fdw.create_model('dim_stop', $$ select 1 $$, replace => true);  -- ERROR
SELECT gtfs_fdw.drop_model('dim_stop');  -- ERROR
SELECT gtfs_fdw.drop_model('fct_route_service_daily');  -- ERROR
SELECT gtfs_fdw.create_model('templated', $$ select {{ var('x') }} $$);  -- ERROR
SELECT gtfs_fdw.create_model('unknown_source', $$ select * from {{ source('gtfs', 'vehicles') }} $$);  -- ERROR
SELECT count(*) FROM gtfs_fdw.models WHERE name IN ('templated', 'unknown_source', 'dangling', 'odd');
-- cycles are refused
SELECT gtfs_fdw.create_model('cycle_a', $$ select 1 as x $$);
SELECT gtfs_fdw.create_model('cycle_b', $$ select * from {{ ref('cycle_a') }} $$);
SELECT gtfs_fdw.create_model('cycle_a', $$ select * from {{ ref('cycle_b') }} $$, replace => true);  -- ERROR
SELECT depends_on FROM gtfs_fdw.models WHERE name = 'cycle_a';
SELECT gtfs_fdw.drop_model('cycle_a');  -- ERROR
SELECT gtfs_fdw.drop_model('cycle_b');
SELECT gtfs_fdw.drop_model('cycle_a');

-- your models are dumped by pg_dump, the built-in ones come with the extension
SELECT c.relname, e.cond FROM pg_extension x,
  unnest(x.extconfig, x.extcondition) AS e(oid, cond) JOIN pg_class c ON c.oid = e.oid
WHERE x.extname = 'gtfs_fdw' ORDER BY 1;

-- a BI role reads the marts
CREATE ROLE gtfs_bi;
SELECT gtfs_fdw.grant_read_access('gtfs_bi');
SET ROLE gtfs_bi;
SELECT count(*) > 0 AS can_read FROM gtfs_mart.fct_trip_days;
SELECT count(*) > 0 AS can_read_views FROM gtfs_mart.fct_stop_events;
SELECT count(*) >= 0 AS can_ask_one_feed
FROM gtfs_mart.stop_departures('S1', '2024-06-03 08:00+00', '2024-06-03 09:00+00', feed => 'north');
SELECT * FROM gtfs_mart.stop_departures('S1', '2024-06-03 08:00+00', '2024-06-03 09:00+00', feed => 'nowhere');  -- ERROR
RESET ROLE;
REVOKE ALL ON ALL TABLES IN SCHEMA gtfs_mart FROM gtfs_bi;
REVOKE USAGE ON SCHEMA gtfs_mart, gtfs_work, gtfs_source FROM gtfs_bi;
ALTER DEFAULT PRIVILEGES IN SCHEMA gtfs_mart REVOKE SELECT ON TABLES FROM gtfs_bi;
DROP ROLE gtfs_bi;

SELECT gtfs_fdw.drop_model(name) FROM gtfs_fdw.models WHERE NOT builtin ORDER BY name;
SELECT gtfs_fdw.drop_feed(name, drop_staging => true) FROM gtfs_fdw.feeds ORDER BY name;
TRUNCATE gtfs_fdw.load_log, gtfs_fdw.model_runs, gtfs_fdw.test_results;
