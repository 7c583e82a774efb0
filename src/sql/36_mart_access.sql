-- What the marts offer beyond their tables: read access for BI tools, and
-- departures at a stop in a window of time.

-- Read access for BI tools: the marts, and what is needed to see them.
CREATE FUNCTION gtfs_fdw.grant_read_access(role name) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA gtfs_mart TO %I', role);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA gtfs_mart TO %I', role);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA gtfs_mart GRANT SELECT ON TABLES TO %I', role);
    -- views over the work schema read through their owner, but a BI tool
    -- browsing the catalog wants to see the work schema too
    EXECUTE format('GRANT USAGE ON SCHEMA gtfs_work, gtfs_source TO %I', role);
END $$;
COMMENT ON FUNCTION gtfs_fdw.grant_read_access(name) IS 'lets a role (a BI tool''s) read the marts, now and after future runs';

-- A feed's id by its name, for roles that may not read gtfs_fdw.feeds (a
-- BI tool's): the id is all it tells.
CREATE FUNCTION gtfs_fdw.feed_id(name text) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT f.feed_id FROM gtfs_fdw.feeds f WHERE f.name = feed_id.name $$;
COMMENT ON FUNCTION gtfs_fdw.feed_id(text) IS 'the feed_id of a feed, by name (NULL if there is none)';

-- Departures at a stop in a window of time, quickly: the window bounds the
-- service days the view must look at (a GTFS time is under 48 hours, and
-- a time zone is at most 14 hours away).
CREATE FUNCTION gtfs_mart.stop_departures(stop_id text, from_time timestamptz, to_time timestamptz,
                                          feed text DEFAULT NULL)
RETURNS TABLE (feed_id integer, service_date date, departure_at timestamptz, route_id text,
               trip_id text, headsign text, stop_sequence integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    wanted_feed integer := gtfs_fdw.feed_id(feed);
BEGIN
    IF feed IS NOT NULL AND wanted_feed IS NULL THEN
        RAISE EXCEPTION 'feed "%" does not exist', feed
            USING ERRCODE = 'undefined_object',
                  HINT = 'Leave feed out to see the departures of every feed.';
    END IF;
    -- planned with the values in hand (EXECUTE), so that the bounds on
    -- service_date and feed_id prune
    RETURN QUERY EXECUTE
    'SELECT e.feed_id, e.service_date, e.departure_at, e.route_id, e.trip_id, e.headsign, e.stop_sequence
     FROM gtfs_mart.fct_stop_events e
     WHERE e.stop_id = $1
       AND e.service_date BETWEEN $2 AND $3
       AND e.departure_at >= $4 AND e.departure_at < $5
       AND e.pickup_type <> 1'
    || CASE WHEN feed IS NULL THEN '' ELSE format(' AND e.feed_id = %s', wanted_feed) END
    || ' ORDER BY e.departure_at, e.route_id, e.trip_id'
    USING stop_id, (from_time AT TIME ZONE 'UTC')::date - 3, (to_time AT TIME ZONE 'UTC')::date + 1,
          from_time, to_time;
END $$;
COMMENT ON FUNCTION gtfs_mart.stop_departures(text, timestamptz, timestamptz, text) IS
  'scheduled departures at a stop between two instants, from gtfs_mart.fct_stop_events';
