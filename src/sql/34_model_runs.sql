-- Running models: build the selected models in order, test them, and log
-- what happened.

-- The query returning a test's failing rows.
CREATE FUNCTION gtfs_fdw.test_query(m gtfs_fdw.models, t jsonb, feed_id integer DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel text := gtfs_fdw.model_relation(m.name);
    this text := rel;
    cols text[] := ARRAY(SELECT jsonb_array_elements_text(t->'columns'));
    qcols text;
    custom text;
    scoped boolean;
BEGIN
    -- a feed's run tests that feed's rows
    scoped := feed_id IS NOT NULL AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = rel::regclass
                                              AND a.attname = 'feed_id' AND NOT a.attisdropped);
    IF scoped THEN
        this := format('(SELECT * FROM %s WHERE feed_id = %s)', rel, feed_id);
    END IF;
    qcols := (SELECT string_agg(format('t.%I', c), ', ') FROM unnest(cols) c);
    CASE t->>'type'
        WHEN 'not_null' THEN
            RETURN format('SELECT * FROM %s t WHERE %s', this,
                          (SELECT string_agg(format('t.%I IS NULL', c), ' OR ') FROM unnest(cols) c));
        WHEN 'unique' THEN
            RETURN format('SELECT %s, count(*) AS n FROM %s t WHERE %s GROUP BY %s HAVING count(*) > 1',
                          qcols, this,
                          (SELECT string_agg(format('t.%I IS NOT NULL', c), ' AND ') FROM unnest(cols) c),
                          qcols);
        WHEN 'accepted_values' THEN
            RETURN format('SELECT * FROM %s t WHERE t.%I IS NOT NULL AND t.%I NOT IN (%s)',
                          this, cols[1], cols[1], t->>'values');
        WHEN 'relationships' THEN
            RETURN format('SELECT * FROM %s t WHERE %s AND NOT EXISTS (SELECT 1 FROM %s p WHERE %s)',
                          this,
                          (SELECT string_agg(format('t.%I IS NOT NULL', c), ' AND ') FROM unnest(cols) c),
                          gtfs_fdw.model_relation(t->>'to'),
                          (SELECT string_agg(format('p.%I = t.%I', p, c), ' AND ')
                           FROM unnest(ARRAY(SELECT jsonb_array_elements_text(t->'to_columns')), cols) AS x(p, c)));
        WHEN 'sql' THEN
            -- the author's query ({{ this }} is the model); in a feed's run,
            -- the failing rows of that feed, when the query says which
            custom := gtfs_fdw.compile_model(m.name, t->>'sql');
            IF scoped AND 'feed_id integer' = ANY (gtfs_fdw.query_columns(custom)) THEN
                RETURN format('SELECT * FROM (%s) t WHERE t.feed_id = %s', custom, feed_id);
            END IF;
            RETURN format('SELECT * FROM (%s) t', custom);
    END CASE;
    RAISE EXCEPTION 'unrecognized test type: %', t->>'type';
END $$;

-- Run models: compile, build in dependency order, test.  All of a run's
-- builds happen in one subtransaction, so a failure (an error, or a failing
-- test of severity error) leaves every model as it was before the run.
-- Returns what happened as a jsonb array (for gtfs_fdw.log_model_results);
-- never raises for a model's failure.
CREATE FUNCTION gtfs_fdw.run_models_json(selector text DEFAULT NULL, feed_id integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    results jsonb := '[]';
    picked record;
    m gtfs_fdw.models;
    t jsonb;
    q text;
    n bigint;
    t0 timestamptz;
    v_status text;
    v_failed boolean := false;
    v_message text;
    v_state text;
    v_current text;
    run_models text[];
BEGIN
    -- a bad selector is the caller's error
    run_models := ARRAY(SELECT x.name FROM gtfs_fdw.select_models(selector) x);

    -- one run (or load) at a time: two would deadlock on the marts' rows
    PERFORM pg_advisory_xact_lock(hashtext('gtfs_fdw.sources'));
    BEGIN
        PERFORM gtfs_fdw.refresh_sources();
        FOR picked IN SELECT x AS name FROM unnest(run_models) x LOOP
            SELECT * INTO m FROM gtfs_fdw.models x WHERE x.name = picked.name;
            v_current := m.name;
            t0 := clock_timestamp();
            n := gtfs_fdw.build_model(m, feed_id, run_models);
            results := results || jsonb_build_object('kind', 'model', 'model', m.name,
                'materialized', m.materialized, 'status', 'ok', 'rows', n,
                'started_at', t0, 'finished_at', clock_timestamp());

            FOR t IN SELECT value FROM jsonb_array_elements(m.tests) LOOP
                q := NULL;
                BEGIN
                    q := gtfs_fdw.test_query(m, t, feed_id);
                    EXECUTE format('SELECT count(*) FROM (%s) f', q) INTO n;
                    v_status := CASE WHEN n = 0 THEN 'pass'
                                     WHEN t->>'severity' = 'warn' THEN 'warn' ELSE 'fail' END;
                    v_message := CASE WHEN n > 0 THEN format('%s failing rows', n) END;
                EXCEPTION WHEN OTHERS THEN
                    GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT;
                    v_status := 'error';
                    n := NULL;
                END;
                results := results || jsonb_build_object('kind', 'test', 'model', m.name,
                    'test', gtfs_fdw.test_name(t), 'severity', t->>'severity', 'status', v_status,
                    'failures', n, 'message', v_message, 'sql', q);
                IF v_status IN ('fail', 'error') THEN
                    v_failed := true;
                END IF;
            END LOOP;
            IF v_failed THEN
                RAISE EXCEPTION 'a test of model "%" failed', m.name USING ERRCODE = 'check_violation';
            END IF;
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_state = RETURNED_SQLSTATE;
        IF v_state = '57014' THEN
            RAISE;              -- a cancel is the caller's, not a model failure
        END IF;
        IF NOT v_failed THEN
            -- the build itself failed
            results := results || jsonb_build_object('kind', 'model', 'model', v_current,
                'status', 'failed', 'message', v_message, 'sqlstate', v_state,
                'started_at', t0, 'finished_at', clock_timestamp());
        END IF;
        -- what was built before was undone with the rest; say so
        results := (SELECT jsonb_agg(CASE WHEN r->>'kind' = 'model' AND r->>'status' = 'ok'
                                          THEN r || '{"status": "failed", "message": "undone: a later model or test of the run failed"}'
                                          ELSE r END)
                    FROM jsonb_array_elements(results) r);
    END;
    RETURN results;
END $$;

-- A run's first failure, in words, or NULL if it succeeded.
CREATE FUNCTION gtfs_fdw.model_failure(results jsonb) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE r->>'kind'
               WHEN 'test' THEN format('test %s of model %s: %s', r->>'test', r->>'model', r->>'message')
               ELSE format('model %s: %s', r->>'model', r->>'message') END
    FROM jsonb_array_elements(results) WITH ORDINALITY AS x(r, i)
    WHERE (r->>'kind' = 'test' AND r->>'status' IN ('fail', 'error'))
       OR (r->>'kind' = 'model' AND r->>'status' = 'failed'
           AND r->>'message' NOT LIKE 'undone:%')
    ORDER BY i LIMIT 1
$$;

-- Run models and log what happened in gtfs_fdw.model_runs and
-- gtfs_fdw.test_results.  With feed, incremental models rebuild only that
-- feed's rows and tests look at that feed's rows.
CREATE FUNCTION gtfs_fdw.run_models(selector text DEFAULT NULL, feed text DEFAULT NULL)
RETURNS TABLE (kind text, model text, test text, status text, rows bigint,
               failures bigint, message text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_feed_id integer;
    v_run bigint := nextval('gtfs_fdw.run_id_seq');
    results jsonb;
    failure text;
BEGIN
    IF feed IS NOT NULL THEN
        SELECT f.feed_id INTO v_feed_id FROM gtfs_fdw.feeds f WHERE f.name = feed;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'feed "%" does not exist', feed USING ERRCODE = 'undefined_object';
        END IF;
    END IF;
    results := gtfs_fdw.run_models_json(selector, v_feed_id);
    PERFORM gtfs_fdw.log_model_results(v_run, feed, results);
    failure := gtfs_fdw.model_failure(results);
    IF failure IS NOT NULL THEN
        RAISE WARNING 'the model run failed; every model is as it was before the run'
            USING DETAIL = failure,
                  HINT = 'gtfs_fdw.test_results and gtfs_fdw.model_runs (run ' || v_run || ') say more.';
    END IF;
    RETURN QUERY
    SELECT r->>'kind', r->>'model', r->>'test', r->>'status', (r->>'rows')::bigint,
           (r->>'failures')::bigint, r->>'message'
    FROM jsonb_array_elements(results) r;
END $$;
COMMENT ON FUNCTION gtfs_fdw.run_models(text, text) IS
  'builds and tests the models a selector picks (all by default) in dependency order, all or nothing; with feed, incremental models rebuild only that feed''s rows';

CREATE FUNCTION gtfs_fdw.log_model_results(run_id bigint, feed text, results jsonb)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO gtfs_fdw.model_runs (run_id, model, feed, materialized, started_at, finished_at,
                                     status, rows, message, sqlstate)
    SELECT run_id, r->>'model', feed, r->>'materialized',
           coalesce((r->>'started_at')::timestamptz, now()), (r->>'finished_at')::timestamptz,
           r->>'status', (r->>'rows')::bigint, r->>'message', r->>'sqlstate'
    FROM jsonb_array_elements(results) r WHERE r->>'kind' = 'model';
    INSERT INTO gtfs_fdw.test_results (run_id, model, test, severity, status, failures, message, sql)
    SELECT run_id, r->>'model', r->>'test', r->>'severity', r->>'status',
           (r->>'failures')::bigint, r->>'message', r->>'sql'
    FROM jsonb_array_elements(results) r WHERE r->>'kind' = 'test';
$$;
