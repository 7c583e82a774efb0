-- Feeds, their versions, the load log, rejected rows, and the functions
-- that manage them.

-- The registry of feeds: what to load, where, and the state of the last
-- refresh.  User configuration: dumped by pg_dump.
CREATE SEQUENCE gtfs_fdw.feed_id_seq AS integer;

CREATE TABLE gtfs_fdw.feeds (
    feed_id         integer PRIMARY KEY DEFAULT nextval('gtfs_fdw.feed_id_seq'),
    name            text NOT NULL UNIQUE
                    CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
    kind            text NOT NULL DEFAULT 'gtfs' CHECK (kind IN ('gtfs')),
    server_name     text NOT NULL,
    owns_server     boolean NOT NULL DEFAULT false,
    staging_schema  text NOT NULL UNIQUE,
    enabled         boolean NOT NULL DEFAULT true,
    schedule        text,
    on_error        text NOT NULL DEFAULT 'stop' CHECK (on_error IN ('stop', 'skip')),
    max_rejected    integer NOT NULL DEFAULT 1000 CHECK (max_rejected >= 0),
    keep_versions   integer NOT NULL DEFAULT 3 CHECK (keep_versions >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_checked_at timestamptz,
    last_status     text,
    last_etag       text,
    last_modified   text,
    last_sha256     text,
    last_bytes      bigint,
    last_success_at timestamptz,
    last_load_id    bigint
);
ALTER SEQUENCE gtfs_fdw.feed_id_seq OWNED BY gtfs_fdw.feeds.feed_id;

COMMENT ON TABLE gtfs_fdw.feeds IS 'Feeds gtfs_refresh() keeps loaded: source server, staging schema, load settings, and the state of the last refresh';
COMMENT ON COLUMN gtfs_fdw.feeds.schedule IS 'a hint for schedulers, such as the cron expression of the pg_cron job';
COMMENT ON COLUMN gtfs_fdw.feeds.on_error IS 'stop: a bad value fails the load; skip: the row goes to gtfs_fdw.rejected_rows';
COMMENT ON COLUMN gtfs_fdw.feeds.max_rejected IS 'with on_error skip, a load with more rejected rows than this fails';
COMMENT ON COLUMN gtfs_fdw.feeds.keep_versions IS 'how many downloaded versions gtfs_fdw.feed_versions keeps';

SELECT pg_catalog.pg_extension_config_dump('gtfs_fdw.feeds', '');
SELECT pg_catalog.pg_extension_config_dump('gtfs_fdw.feed_id_seq', '');

-- Every run, and every load, gets a number from here.
CREATE SEQUENCE gtfs_fdw.run_id_seq;
-- (dumped, so that a restored database numbers its runs after the old ones)
SELECT pg_catalog.pg_extension_config_dump('gtfs_fdw.run_id_seq', '');

-- Raw downloads, archived as files (see gtfs_fdw.archive_dir).
CREATE TABLE gtfs_fdw.feed_versions (
    version_id    bigserial PRIMARY KEY,
    feed_id       integer NOT NULL REFERENCES gtfs_fdw.feeds ON DELETE CASCADE,
    run_id        bigint,
    fetched_at    timestamptz NOT NULL,
    archived_at   timestamptz NOT NULL DEFAULT now(),
    sha256        text NOT NULL,
    bytes         bigint NOT NULL,
    etag          text,
    last_modified text,
    path          text NOT NULL,
    UNIQUE (feed_id, sha256)
);
COMMENT ON TABLE gtfs_fdw.feed_versions IS 'Each distinct download of a feed, kept as a file; the newest keep_versions per feed';

-- What every refresh did, step by step.
CREATE TABLE gtfs_fdw.load_log (
    run_id      bigint NOT NULL,
    feed_id     integer,
    feed        text NOT NULL,
    step        text NOT NULL
                CHECK (step IN ('refresh', 'fetch', 'archive', 'materialize', 'models')),
    started_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    status      text NOT NULL
                CHECK (status IN ('running', 'ok', 'unchanged', 'failed', 'skipped')),
    rows        jsonb,
    bytes       bigint,
    message     text,
    sqlstate    text,
    backend_pid   integer,      -- the session running it, to tell a run
    backend_start timestamptz,  -- in progress from one cut off by a crash
    PRIMARY KEY (run_id, step)
);
CREATE INDEX load_log_feed_started_idx ON gtfs_fdw.load_log (feed, started_at);
COMMENT ON TABLE gtfs_fdw.load_log IS 'One row per step of every refresh run: status, rows per table, bytes, and the error and SQLSTATE of a failure';

-- Rows a load left out (feeds with on_error skip), and why.
CREATE TABLE gtfs_fdw.rejected_rows (
    feed_id     integer NOT NULL,
    feed        text NOT NULL,
    load_id     bigint NOT NULL,
    file        text NOT NULL,
    line        bigint NOT NULL,
    column_name text,
    value       text,
    reason      text NOT NULL,
    sqlstate    text,
    rejected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejected_rows_load_idx ON gtfs_fdw.rejected_rows (feed_id, load_id);
COMMENT ON TABLE gtfs_fdw.rejected_rows IS 'Rows that loads with on_error skip left out: file, line, column, value and reason';

-- The C side of loading.

CREATE FUNCTION gtfs_fdw.fetch_feed(feed text,
    OUT outcome text, OUT sha256 text, OUT bytes bigint, OUT etag text,
    OUT last_modified text, OUT changed boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'gtfs_fetch_feed'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION gtfs_fdw.fetch_feed(text) IS 'revalidates (or downloads) a feed''s source for this transaction and says whether it differs from the last load';

CREATE FUNCTION gtfs_fdw.archive_feed_version(feed text, run_id bigint DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'gtfs_archive_feed_version'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION gtfs_fdw.archive_feed_version(text, bigint) IS 'keeps the bytes this transaction read for a feed as a file in the archive, and prunes versions beyond keep_versions';

CREATE FUNCTION gtfs_fdw.materialize(feed text, load_id bigint DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'gtfs_materialize'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION gtfs_fdw.materialize(text, bigint) IS 'loads every file of a feed into new tables of its staging schema (bulk insert, then keys, indexes and statistics) and swaps them in at once; returns rows per table';

CREATE FUNCTION gtfs_fdw.remove_feed_files(feed_id integer)
RETURNS void
AS 'MODULE_PATHNAME', 'gtfs_remove_feed_files'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION gtfs_fdw.remove_feed_files(integer) IS 'deletes a feed''s archived versions, when the transaction commits';

-- Managing feeds.

-- Clear errors for bad settings, rather than a check constraint's.
CREATE FUNCTION gtfs_fdw.check_feed_settings(on_error text, max_rejected integer,
                                             keep_versions integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF on_error NOT IN ('stop', 'skip') THEN
        RAISE EXCEPTION 'invalid value for on_error: "%"', on_error
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Valid values are "stop" (a bad value fails the load) and "skip" (the row goes to gtfs_fdw.rejected_rows).';
    END IF;
    IF max_rejected < 0 THEN
        RAISE EXCEPTION 'max_rejected must not be negative' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF keep_versions < 0 THEN
        RAISE EXCEPTION 'keep_versions must not be negative' USING ERRCODE = 'invalid_parameter_value';
    END IF;
END $$;

CREATE FUNCTION gtfs_fdw.add_feed(
    name            text,
    url             text DEFAULT NULL,
    server          text DEFAULT NULL,
    staging_schema  text DEFAULT NULL,
    server_options  jsonb DEFAULT '{}',
    on_error        text DEFAULT 'stop',
    max_rejected    integer DEFAULT 1000,
    keep_versions   integer DEFAULT 3,
    schedule        text DEFAULT NULL,
    enabled         boolean DEFAULT true)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_server text := server;
    v_options text := '';
    v_id integer;
    opt record;
BEGIN
    IF name IS NULL OR name !~ '^[a-z][a-z0-9_]{0,39}$' THEN
        RAISE EXCEPTION 'invalid feed name "%"', name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A feed name is a lower-case identifier of at most 40 characters, such as ''uta''.';
    END IF;
    IF (url IS NULL) = (server IS NULL) THEN
        RAISE EXCEPTION 'add_feed needs either a url or a server'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'gtfs_fdw.add_feed(''uta'', url => ''https://.../gtfs.zip''), or server => an existing gtfs_fdw server.';
    END IF;
    PERFORM gtfs_fdw.check_feed_settings(on_error, max_rejected, keep_versions);
    IF EXISTS (SELECT FROM gtfs_fdw.feeds f WHERE f.name = add_feed.name) THEN
        RAISE EXCEPTION 'feed "%" already exists', name
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Use gtfs_fdw.alter_feed to change it.';
    END IF;

    IF server IS NULL THEN
        -- a server of its own, named after the feed
        v_server := 'gtfs_feed_' || name;
        FOR opt IN SELECT key, value FROM jsonb_each_text(server_options) LOOP
            v_options := v_options || format(', %I %L', opt.key, opt.value);
        END LOOP;
        EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url %L%s)',
                       v_server, url, v_options);
    ELSIF NOT EXISTS (SELECT FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w
                      ON w.oid = s.srvfdw WHERE s.srvname = server AND w.fdwname = 'gtfs_fdw') THEN
        RAISE EXCEPTION 'server "%" is not a gtfs_fdw server', server
            USING ERRCODE = 'undefined_object';
    ELSIF server_options <> '{}' THEN
        RAISE EXCEPTION 'server_options apply only to a server add_feed creates'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use ALTER SERVER to change the options of an existing server.';
    END IF;

    INSERT INTO gtfs_fdw.feeds (name, server_name, owns_server, staging_schema, enabled,
                                schedule, on_error, max_rejected, keep_versions)
    VALUES (name, v_server, server IS NULL, coalesce(staging_schema, 'gtfs_stage_' || name),
            enabled, schedule, on_error, max_rejected, keep_versions)
    RETURNING feed_id INTO v_id;
    RETURN v_id;
END $$;
COMMENT ON FUNCTION gtfs_fdw.add_feed(text, text, text, text, jsonb, text, integer, integer, text, boolean) IS
  'registers a feed (creating a gtfs_fdw server for a url); returns its feed_id';

-- Wait for a refresh of the feed to finish, and keep others off it until
-- the transaction ends: the lock gtfs_refresh() and materialize() take.
CREATE FUNCTION gtfs_fdw.lock_feed(name text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id integer;
BEGIN
    SELECT f.feed_id INTO id FROM gtfs_fdw.feeds f WHERE f.name = lock_feed.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'feed "%" does not exist', name USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('gtfs_fdw.refresh'), id);
END $$;

CREATE FUNCTION gtfs_fdw.alter_feed(
    name            text,
    url             text DEFAULT NULL,
    staging_schema  text DEFAULT NULL,
    server_options  jsonb DEFAULT NULL,
    on_error        text DEFAULT NULL,
    max_rejected    integer DEFAULT NULL,
    keep_versions   integer DEFAULT NULL,
    schedule        text DEFAULT NULL,
    enabled         boolean DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    f gtfs_fdw.feeds;
    opt record;
    v_action text;
BEGIN
    PERFORM gtfs_fdw.lock_feed(name);
    SELECT * INTO f FROM gtfs_fdw.feeds WHERE feeds.name = alter_feed.name FOR UPDATE;
    PERFORM gtfs_fdw.check_feed_settings(on_error, max_rejected, keep_versions);
    IF (url IS NOT NULL OR server_options IS NOT NULL) AND NOT f.owns_server THEN
        RAISE EXCEPTION 'feed "%" reads server "%", which add_feed did not create', name, f.server_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Change the server with ALTER SERVER.';
    END IF;
    IF url IS NOT NULL THEN
        EXECUTE format('ALTER SERVER %I OPTIONS (SET url %L)', f.server_name, url);
    END IF;
    FOR opt IN SELECT key, value FROM jsonb_each_text(coalesce(server_options, '{}')) LOOP
        v_action := CASE WHEN EXISTS (
                SELECT FROM pg_foreign_server s, pg_options_to_table(s.srvoptions) o
                WHERE s.srvname = f.server_name AND o.option_name = opt.key)
            THEN 'SET' ELSE 'ADD' END;
        IF opt.value IS NULL THEN
            EXECUTE format('ALTER SERVER %I OPTIONS (DROP %I)', f.server_name, opt.key);
        ELSE
            EXECUTE format('ALTER SERVER %I OPTIONS (%s %I %L)', f.server_name, v_action, opt.key, opt.value);
        END IF;
    END LOOP;
    IF staging_schema IS NOT NULL AND staging_schema <> f.staging_schema
       AND EXISTS (SELECT FROM pg_namespace WHERE nspname = f.staging_schema) THEN
        EXECUTE format('ALTER SCHEMA %I RENAME TO %I', f.staging_schema, staging_schema);
    END IF;
    UPDATE gtfs_fdw.feeds SET
        staging_schema = coalesce(alter_feed.staging_schema, feeds.staging_schema),
        on_error = coalesce(alter_feed.on_error, feeds.on_error),
        max_rejected = coalesce(alter_feed.max_rejected, feeds.max_rejected),
        keep_versions = coalesce(alter_feed.keep_versions, feeds.keep_versions),
        schedule = coalesce(alter_feed.schedule, feeds.schedule),
        enabled = coalesce(alter_feed.enabled, feeds.enabled),
        -- a new source is a new feed as far as change detection goes
        last_sha256 = CASE WHEN url IS NULL AND server_options IS NULL THEN feeds.last_sha256 END
    WHERE feeds.feed_id = f.feed_id;
END $$;
COMMENT ON FUNCTION gtfs_fdw.alter_feed(text, text, text, jsonb, text, integer, integer, text, boolean) IS
  'changes a feed''s settings; arguments left NULL stay as they are (a NULL value in server_options drops that option)';

CREATE FUNCTION gtfs_fdw.disable_feed(name text) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$ SELECT gtfs_fdw.alter_feed(name, enabled => false) $$;
COMMENT ON FUNCTION gtfs_fdw.disable_feed(text) IS 'gtfs_refresh() skips a disabled feed; its staging tables stay';

CREATE FUNCTION gtfs_fdw.enable_feed(name text) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$ SELECT gtfs_fdw.alter_feed(name, enabled => true) $$;
COMMENT ON FUNCTION gtfs_fdw.enable_feed(text) IS 'gtfs_refresh() loads the feed again';

CREATE FUNCTION gtfs_fdw.drop_feed(name text, drop_staging boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    f gtfs_fdw.feeds;
BEGIN
    PERFORM gtfs_fdw.lock_feed(name);
    SELECT * INTO f FROM gtfs_fdw.feeds WHERE feeds.name = drop_feed.name FOR UPDATE;
    -- the archive's rows go with the feed's (ON DELETE CASCADE): files first
    PERFORM gtfs_fdw.remove_feed_files(f.feed_id);
    DELETE FROM gtfs_fdw.feeds WHERE feeds.feed_id = f.feed_id;
    -- the feed's rows leave the marts, and its tables the source views
    PERFORM gtfs_fdw.forget_feed_rows(f.feed_id);
    PERFORM gtfs_fdw.refresh_sources();
    DELETE FROM gtfs_fdw.rejected_rows r WHERE r.feed_id = f.feed_id;
    IF f.owns_server THEN
        EXECUTE format('DROP SERVER IF EXISTS %I CASCADE', f.server_name);
    END IF;
    IF drop_staging THEN
        EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', f.staging_schema);
    END IF;
END $$;
COMMENT ON FUNCTION gtfs_fdw.drop_feed(text, boolean) IS
  'removes a feed, its archived versions and its server (if add_feed created it); drop_staging also drops its staging schema';

-- A view of feeds for people: state of the last refresh at a glance.
CREATE VIEW gtfs_fdw.feed_status AS
SELECT f.name AS feed, f.enabled, f.staging_schema, f.server_name, f.schedule,
       f.last_status, f.last_checked_at, f.last_success_at, f.last_load_id,
       f.last_bytes, f.last_sha256,
       (SELECT sum(value::bigint) FROM gtfs_fdw.load_log l, jsonb_each_text(l.rows)
        WHERE l.run_id = f.last_load_id AND l.step = 'materialize') AS last_load_rows
FROM gtfs_fdw.feeds f;
COMMENT ON VIEW gtfs_fdw.feed_status IS 'Each feed with the outcome of its last refresh';

-- What refreshes are doing right now, seen from any session.
CREATE VIEW gtfs_fdw.refresh_progress AS
SELECT a.pid, a.usename, a.query_start,
       substr(a.query, 11) AS activity,
       p.tuples_processed AS rows_loaded, p.bytes_processed, p.bytes_total
FROM pg_catalog.pg_stat_activity a
LEFT JOIN pg_catalog.pg_stat_progress_copy p ON p.pid = a.pid
WHERE a.state = 'active' AND a.query LIKE 'gtfs_fdw: %';
COMMENT ON VIEW gtfs_fdw.refresh_progress IS 'Loads in progress: the feed and file each backend is loading, rows and bytes so far';

-- Refreshing.

-- Delete load history older than gtfs_fdw.load_log_retention (but always
-- keep each feed's last ten runs), and rejected rows of pruned loads.
CREATE FUNCTION gtfs_fdw.prune_history() RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    keep interval := coalesce(nullif(current_setting('gtfs_fdw.load_log_retention', true), ''),
                              '30 days')::interval;
    removed bigint;
BEGIN
    WITH ranked AS (
        SELECT run_id, dense_rank() OVER (PARTITION BY feed ORDER BY run_id DESC) AS recency
        FROM gtfs_fdw.load_log
    ), gone AS (
        DELETE FROM gtfs_fdw.load_log l
        USING ranked r
        WHERE l.run_id = r.run_id AND r.recency > 10
          AND l.started_at < now() - keep
        RETURNING l.run_id
    )
    SELECT count(*) INTO removed FROM gone;
    DELETE FROM gtfs_fdw.rejected_rows r
    WHERE r.rejected_at < now() - keep
      AND NOT EXISTS (SELECT FROM gtfs_fdw.feeds f WHERE f.last_load_id = r.load_id);
    RETURN removed;
END $$;
COMMENT ON FUNCTION gtfs_fdw.prune_history() IS 'deletes load_log rows older than gtfs_fdw.load_log_retention (each feed keeps its last ten runs)';

-- Write the steps a run went through into the load log.
CREATE FUNCTION gtfs_fdw.log_steps(f gtfs_fdw.feeds, run_id bigint, steps jsonb)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO gtfs_fdw.load_log AS l (run_id, feed_id, feed, step, started_at, finished_at,
                                        status, rows, bytes, message, sqlstate)
    SELECT run_id, f.feed_id, f.name, s->>'step',
           coalesce((s->>'started_at')::timestamptz, clock_timestamp()),
           coalesce((s->>'finished_at')::timestamptz, clock_timestamp()),
           s->>'status', s->'rows', (s->>'bytes')::bigint, s->>'message', s->>'sqlstate'
    FROM jsonb_array_elements(steps) s
    ON CONFLICT (run_id, step) DO UPDATE
      SET finished_at = excluded.finished_at, status = excluded.status,
          rows = coalesce(excluded.rows, l.rows), bytes = coalesce(excluded.bytes, l.bytes),
          message = excluded.message, sqlstate = excluded.sqlstate
$$;

-- (No SET search_path here: a procedure with SET clauses cannot commit.
-- Every name below is qualified instead.)
CREATE PROCEDURE public.gtfs_refresh(feed text DEFAULT NULL, force boolean DEFAULT false,
                                     wait boolean DEFAULT false)
LANGUAGE plpgsql
AS $$
DECLARE
    f gtfs_fdw.feeds;
    run bigint;
    steps jsonb;
    v_step text;
    v_status text;
    v_message text;
    v_detail text;
    v_context text;
    v_state text;
    t0 timestamptz;
    fetched record;
    loaded jsonb;
    models jsonb;
    failure text;
BEGIN
    IF feed IS NOT NULL AND NOT EXISTS (SELECT FROM gtfs_fdw.feeds x WHERE x.name = feed) THEN
        RAISE EXCEPTION 'feed "%" does not exist', feed
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT name FROM gtfs_fdw.feeds lists the feeds.';
    END IF;

    FOR f IN SELECT * FROM gtfs_fdw.feeds x
             WHERE (feed IS NULL AND x.enabled) OR x.name = feed
             ORDER BY x.name
    LOOP
        run := nextval('gtfs_fdw.run_id_seq');
        -- visible to other sessions at once: this feed is being refreshed
        INSERT INTO gtfs_fdw.load_log (run_id, feed_id, feed, step, status,
                                       backend_pid, backend_start)
        SELECT run, f.feed_id, f.name, 'refresh', 'running', a.pid, a.backend_start
        FROM pg_catalog.pg_stat_activity a WHERE a.pid = pg_catalog.pg_backend_pid();
        COMMIT;

        -- The feed's work runs in one subtransaction: a failure anywhere
        -- undoes all of it, and the variables say how far it got.
        steps := '[]';
        models := NULL;
        v_step := 'refresh';
        v_status := 'ok';
        v_message := NULL;
        v_state := NULL;
        BEGIN
            -- one refresh of a feed at a time; the lock lasts until COMMIT
            IF wait THEN
                PERFORM pg_advisory_xact_lock(hashtext('gtfs_fdw.refresh'), f.feed_id);
            ELSIF NOT pg_try_advisory_xact_lock(hashtext('gtfs_fdw.refresh'), f.feed_id) THEN
                v_status := 'skipped';
                v_message := 'another refresh of this feed is running';
            END IF;

            IF v_status = 'ok' THEN
                -- runs of the feed still marked running whose session is
                -- gone were cut off (a crash, a terminated session); others
                -- may be waiting for this one
                UPDATE gtfs_fdw.load_log l SET status = 'failed', finished_at = clock_timestamp(),
                       message = 'abandoned: the session ended before the refresh finished'
                WHERE l.feed_id = f.feed_id AND l.status = 'running' AND l.run_id <> run
                  AND NOT EXISTS (SELECT FROM pg_catalog.pg_stat_activity a
                                  WHERE a.pid = l.backend_pid AND a.backend_start = l.backend_start);

                v_step := 'fetch';
                t0 := clock_timestamp();
                SELECT * INTO fetched FROM gtfs_fdw.fetch_feed(f.name);
                IF NOT fetched.changed AND NOT force THEN
                    v_status := 'unchanged';
                END IF;
                steps := steps || jsonb_build_object('step', 'fetch', 'started_at', t0,
                    'status', v_status, 'bytes', fetched.bytes, 'message', fetched.outcome);
            END IF;

            IF v_status = 'ok' THEN
                v_step := 'archive';
                t0 := clock_timestamp();
                PERFORM gtfs_fdw.archive_feed_version(f.name, run);
                steps := steps || jsonb_build_object('step', 'archive', 'started_at', t0,
                    'status', 'ok', 'bytes', fetched.bytes, 'message', 'sha256 ' || fetched.sha256);

                v_step := 'materialize';
                t0 := clock_timestamp();
                loaded := gtfs_fdw.materialize(f.name, run);
                steps := steps || jsonb_build_object('step', 'materialize', 'started_at', t0,
                    'status', 'ok', 'rows', loaded);

                -- the models, for this feed's rows; their failure undoes
                -- the load too, so marts and staging always match
                IF current_setting('gtfs_fdw.refresh_models')::boolean THEN
                    v_step := 'models';
                    t0 := clock_timestamp();
                    models := gtfs_fdw.run_models_json(NULL, f.feed_id);
                    failure := gtfs_fdw.model_failure(models);
                    IF failure IS NOT NULL THEN
                        RAISE EXCEPTION 'models failed: %', failure
                            USING ERRCODE = 'check_violation',
                                  HINT = 'gtfs_fdw.model_runs and gtfs_fdw.test_results (run ' || run || ') say more.';
                    END IF;
                    steps := steps || jsonb_build_object('step', 'models', 'started_at', t0,
                        'status', 'ok', 'rows', (SELECT jsonb_object_agg(r->>'model', r->'rows')
                                                 FROM jsonb_array_elements(models) r
                                                 WHERE r->>'kind' = 'model' AND r->>'rows' IS NOT NULL));
                END IF;

                UPDATE gtfs_fdw.feeds x SET last_sha256 = fetched.sha256, last_bytes = fetched.bytes,
                       last_success_at = now(), last_load_id = run
                WHERE x.feed_id = f.feed_id;
            END IF;

            IF v_status <> 'skipped' THEN
                UPDATE gtfs_fdw.feeds x SET last_checked_at = now(), last_status = v_status,
                       last_etag = fetched.etag, last_modified = fetched.last_modified
                WHERE x.feed_id = f.feed_id;
            END IF;
        EXCEPTION
            WHEN query_canceled THEN
                -- a cancel or statement_timeout: log it, then give it back
                GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_state = RETURNED_SQLSTATE;
                v_status := 'canceled';
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL,
                                        v_context = PG_EXCEPTION_CONTEXT, v_state = RETURNED_SQLSTATE;
                v_status := 'failed';
                -- the message, its detail, and where it happened (the file
                -- and line of a bad value, say)
                v_message := v_message || coalesce(E'\n' || nullif(v_detail, ''), '')
                    || coalesce(E'\n' || (SELECT string_agg(line, E'\n')
                                           FROM regexp_split_to_table(v_context, E'\n') line
                                           WHERE line NOT LIKE 'PL/pgSQL function %'
                                             AND line NOT LIKE 'SQL statement %'), '');
        END;

        IF v_status IN ('failed', 'canceled') THEN
            -- the work is undone; what was logged of it stays, then the failure
            steps := steps || jsonb_build_object('step', v_step, 'status', 'failed',
                'message', v_message, 'sqlstate', v_state);
            UPDATE gtfs_fdw.feeds x SET last_checked_at = now(), last_status = 'failed'
            WHERE x.feed_id = f.feed_id;
        END IF;
        IF models IS NOT NULL THEN
            PERFORM gtfs_fdw.log_model_results(run, f.name, models);
        END IF;
        PERFORM gtfs_fdw.log_steps(f, run, steps || jsonb_build_object(
            'step', 'refresh',
            'status', CASE WHEN v_status = 'canceled' THEN 'failed' ELSE v_status END,
            'message', CASE WHEN v_status IN ('failed', 'canceled') THEN v_step || ': ' || v_message
                            ELSE v_message END,
            'sqlstate', v_state,
            'rows', (SELECT s -> 'rows' FROM jsonb_array_elements(steps) s
                     WHERE s ->> 'step' = 'materialize'),
            'bytes', (SELECT (s ->> 'bytes')::bigint FROM jsonb_array_elements(steps) s
                      WHERE s ->> 'step' = 'fetch')));
        COMMIT;
        IF v_status = 'canceled' THEN
            RAISE EXCEPTION '%', v_message USING ERRCODE = 'query_canceled';
        ELSIF v_status = 'failed' THEN
            RAISE WARNING 'refresh of feed "%" failed in step %: %', f.name, v_step,
                split_part(v_message, E'\n', 1);
        END IF;
    END LOOP;

    PERFORM gtfs_fdw.prune_history();
    COMMIT;
END $$;
COMMENT ON PROCEDURE public.gtfs_refresh(text, boolean, boolean) IS
  'refreshes every enabled feed (or one): revalidate, and if changed archive, load and swap; commits per feed; for pg_cron: CALL gtfs_refresh()';
