-- Models: dbt-style SELECTs kept in gtfs_fdw.models, compiled ({{ ref() }},
-- {{ source() }}, {{ this }}), ordered by their references, materialized as
-- views, tables or incremental tables, and tested.

CREATE SCHEMA gtfs_source;
COMMENT ON SCHEMA gtfs_source IS 'One view per GTFS file: the staging tables of every feed, together (what {{ source(''gtfs'', ...) }} reads)';
CREATE SCHEMA gtfs_work;
COMMENT ON SCHEMA gtfs_work IS 'Staging and intermediate models: the steps that build the marts';
CREATE SCHEMA gtfs_mart;
COMMENT ON SCHEMA gtfs_mart IS 'GTFS facts and dimensions for analysts and BI tools; every row carries its feed_id';

CREATE TABLE gtfs_fdw.models (
    name                 text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    layer                text NOT NULL CHECK (layer IN ('staging', 'intermediate', 'marts')),
    materialized         text NOT NULL DEFAULT 'view'
                         CHECK (materialized IN ('view', 'table', 'incremental')),
    sql                  text NOT NULL,
    description          text,
    tags                 text[] NOT NULL DEFAULT '{}',
    unique_key           text[],
    indexes              text[] NOT NULL DEFAULT '{}',   -- each 'column, column'
    incremental_strategy text NOT NULL DEFAULT 'delete+insert'
                         CHECK (incremental_strategy IN ('delete+insert', 'merge')),
    tests                jsonb NOT NULL DEFAULT '[]',
    columns              jsonb NOT NULL DEFAULT '{}',
    depends_on           text[] NOT NULL DEFAULT '{}',
    builtin              boolean NOT NULL DEFAULT false,
    enabled              boolean NOT NULL DEFAULT true,
    built_hash           text,      -- what a view model was last built from
    created_at           timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE gtfs_fdw.models IS 'Models run_models() builds: the SELECT, how to materialize it, its tests; built-in GTFS models and your own';
SELECT pg_catalog.pg_extension_config_dump('gtfs_fdw.models', 'WHERE NOT builtin');

CREATE TABLE gtfs_fdw.model_runs (
    run_id       bigint NOT NULL,
    model        text NOT NULL,
    feed         text,
    materialized text,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    status       text NOT NULL CHECK (status IN ('ok', 'failed', 'skipped')),
    rows         bigint,
    message      text,
    sqlstate     text,
    PRIMARY KEY (run_id, model)
);
COMMENT ON TABLE gtfs_fdw.model_runs IS 'One row per model per run: timing, rows written, and the error of a failure';

CREATE TABLE gtfs_fdw.test_results (
    run_id    bigint NOT NULL,
    model     text NOT NULL,
    test      text NOT NULL,
    severity  text NOT NULL CHECK (severity IN ('error', 'warn')),
    status    text NOT NULL CHECK (status IN ('pass', 'fail', 'warn', 'error', 'skipped')),
    failures  bigint,
    message   text,
    sql       text,
    tested_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, model, test)
);
COMMENT ON TABLE gtfs_fdw.test_results IS 'One row per data test per run: pass, fail (error severity), warn, or error (the test itself broke), with the failing-row count and the SQL';

-- An instant of a service day: noon minus 12 hours of the day in the
-- agency's time zone, plus a GTFS time (which may pass 24:00:00).  This is
-- how GTFS defines times, and it keeps DST days right.
CREATE FUNCTION gtfs_fdw.service_time(service_date date, timezone text, t interval)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- The arithmetic is done on UTC wall-clock time (timestamp without time
-- zone), whose operators are immutable, so that the planner inlines the
-- function instead of calling it once per row: timestamptz +/- interval is
-- only stable, and an IMMUTABLE function using it is never inlined.
AS $$
    SELECT ((((service_date + time '12:00') AT TIME ZONE timezone) AT TIME ZONE 'UTC')
            - interval '12 hours' + t) AT TIME ZONE 'UTC'
$$;
COMMENT ON FUNCTION gtfs_fdw.service_time(date, text, interval) IS
  'the instant of a GTFS time on a service day: noon minus 12h in the time zone, plus the time';

-- The schema a model's relation lives in.
CREATE FUNCTION gtfs_fdw.model_schema(layer text) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT CASE layer WHEN 'marts' THEN 'gtfs_mart' ELSE 'gtfs_work' END $$;

CREATE FUNCTION gtfs_fdw.model_relation(model text) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('%I.%I', gtfs_fdw.model_schema(m.layer), m.name)
    FROM gtfs_fdw.models m WHERE m.name = model
$$;

-- Parse a test declaration: unique(a, b), not_null(a), accepted_values(a:
-- 1, 2), relationships(a, b -> model(x, y)), sql name: <query>; with an
-- optional leading "warn".
CREATE FUNCTION gtfs_fdw.parse_test(model text, decl text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d text := btrim(decl);
    severity text := 'error';
    m text[];
BEGIN
    IF d ~* '^warn\s+' THEN
        severity := 'warn';
        d := regexp_replace(d, '^warn\s+', '', 'i');
    END IF;
    m := regexp_match(d, '^sql\s+([a-z0-9_]+)\s*:\s*(.+)$', 'is');
    IF m IS NOT NULL THEN
        RETURN jsonb_build_object('type', 'sql', 'name', m[1], 'sql', m[2], 'severity', severity);
    END IF;
    m := regexp_match(d, '^(unique|not_null)\s*\(([^)]+)\)$');
    IF m IS NOT NULL THEN
        RETURN jsonb_build_object('type', m[1], 'severity', severity,
            'columns', (SELECT jsonb_agg(btrim(c)) FROM unnest(string_to_array(m[2], ',')) c));
    END IF;
    m := regexp_match(d, '^accepted_values\s*\(\s*([a-z0-9_]+)\s*:(.+)\)$', 'i');
    IF m IS NOT NULL THEN
        RETURN jsonb_build_object('type', 'accepted_values', 'severity', severity,
            'columns', jsonb_build_array(m[1]), 'values', btrim(m[2]));
    END IF;
    m := regexp_match(d, '^relationships\s*\(([^)]+?)\s*->\s*([a-z0-9_]+)\s*\(([^)]+)\)\s*\)$', 'i');
    IF m IS NOT NULL THEN
        RETURN jsonb_build_object('type', 'relationships', 'severity', severity,
            'columns', (SELECT jsonb_agg(btrim(c)) FROM unnest(string_to_array(m[1], ',')) c),
            'to', m[2],
            'to_columns', (SELECT jsonb_agg(btrim(c)) FROM unnest(string_to_array(m[3], ',')) c));
    END IF;
    RAISE EXCEPTION 'invalid test "%" of model "%"', decl, model
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Tests are unique(cols), not_null(cols), accepted_values(col: v1, v2), relationships(cols -> model(cols)) or sql <name>: <query returning failing rows>, each optionally preceded by "warn".';
END $$;

-- The name a test is reported under.
CREATE FUNCTION gtfs_fdw.test_name(t jsonb) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE t->>'type'
        WHEN 'sql' THEN t->>'name'
        WHEN 'accepted_values' THEN format('accepted_values(%s: %s)', t->'columns'->>0, t->>'values')
        WHEN 'relationships' THEN format('relationships(%s -> %s(%s))',
            (SELECT string_agg(c, ', ') FROM jsonb_array_elements_text(t->'columns') c), t->>'to',
            (SELECT string_agg(c, ', ') FROM jsonb_array_elements_text(t->'to_columns') c))
        ELSE format('%s(%s)', t->>'type',
            (SELECT string_agg(c, ', ') FROM jsonb_array_elements_text(t->'columns') c))
    END
$$;

-- A model's declared indexes as 'column, column' lists, checked: each
-- column an unquoted lower-case identifier.
CREATE FUNCTION gtfs_fdw.normalize_indexes(model text, indexes text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    idx text;
    col text;
    result text[] := '{}';
    cols text[];
BEGIN
    FOREACH idx IN ARRAY coalesce(indexes, '{}') LOOP
        cols := ARRAY(SELECT btrim(c) FROM unnest(string_to_array(btrim(idx, ' ()'), ',')) c);
        FOREACH col IN ARRAY cols LOOP
            IF col !~ '^[a-z_][a-z0-9_]*$' THEN
                RAISE EXCEPTION 'invalid index "%" for model "%"', idx, model
                    USING ERRCODE = 'invalid_parameter_value',
                          DETAIL = format('"%s" is not a column name.', col),
                          HINT = 'List an index''s columns separated by commas, indexes separated by semicolons: -- indexes: (service_date); (route_id, service_date)';
            END IF;
        END LOOP;
        IF array_to_string(cols, ', ') <> ALL (result) THEN
            result := result || array_to_string(cols, ', ');
        END IF;
    END LOOP;
    RETURN result;
END $$;

-- Register or replace a model from its SQL file: the header comments say
-- how to build and test it, the body is the SELECT.
--   -- <name>: <description>
--   -- materialized: view | table | incremental
--   -- unique_key: feed_id, trip_id
--   -- indexes: (service_date); (route_id, service_date)
--   -- incremental_strategy: delete+insert | merge
--   -- tags: marts, facts
--   -- tests: unique(feed_id, trip_id); not_null(trip_id); warn accepted_values(x: 1, 2)
--   -- column <name>: <description>
-- Arguments that are not NULL win over the header.
CREATE FUNCTION gtfs_fdw.create_model(
    name                 text,
    sql                  text,
    materialized         text DEFAULT NULL,
    layer                text DEFAULT NULL,
    tags                 text[] DEFAULT NULL,
    tests                text[] DEFAULT NULL,
    unique_key           text[] DEFAULT NULL,
    incremental_strategy text DEFAULT NULL,
    description          text DEFAULT NULL,
    replace              boolean DEFAULT false,
    builtin              boolean DEFAULT false,
    validate             boolean DEFAULT true,
    indexes              text[] DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    line text;
    kv text[];
    h_materialized text;
    h_layer text;
    h_tags text[] := '{}';
    h_tests jsonb := '[]';
    h_key text[];
    h_indexes text[] := '{}';
    h_strategy text;
    h_description text;
    h_columns jsonb := '{}';
    deps text[];
    unknown text;
    cycle text;
    existing gtfs_fdw.models;
BEGIN
    IF name IS NULL OR name !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'invalid model name "%"', name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A model name is a lower-case identifier, such as ''my_route_kpis''.';
    END IF;
    IF sql IS NULL OR btrim(sql) = '' THEN
        RAISE EXCEPTION 'model "%" has no SQL', name USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO existing FROM gtfs_fdw.models m WHERE m.name = create_model.name;
    IF FOUND AND NOT replace THEN
        RAISE EXCEPTION 'model "%" already exists', name
            USING ERRCODE = 'duplicate_object',
                  HINT = 'Pass replace => true to change it, or drop it with gtfs_fdw.drop_model().';
    END IF;
    IF FOUND AND existing.builtin AND NOT builtin THEN
        RAISE EXCEPTION 'model "%" is built into gtfs_fdw', name
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Give your model another name; built-in models change with the extension.';
    END IF;

    -- the header: comment lines before the first line of SQL
    FOREACH line IN ARRAY string_to_array(sql, E'\n') LOOP
        EXIT WHEN btrim(line) <> '' AND btrim(line) !~ '^--';
        kv := regexp_match(btrim(line), '^--\s*([a-z][a-z0-9_]*(?:\s+[a-z0-9_]+)?)\s*:\s*(.*)$', 'i');
        CONTINUE WHEN kv IS NULL;
        CASE
            WHEN kv[1] = name THEN h_description := btrim(kv[2]);
            WHEN kv[1] = 'materialized' THEN h_materialized := btrim(kv[2]);
            WHEN kv[1] = 'layer' THEN h_layer := btrim(kv[2]);
            WHEN kv[1] = 'tags' THEN
                h_tags := h_tags || (SELECT array_agg(btrim(t)) FROM unnest(string_to_array(kv[2], ',')) t
                                     WHERE btrim(t) <> '');
            WHEN kv[1] = 'unique_key' THEN
                h_key := (SELECT array_agg(btrim(k)) FROM unnest(string_to_array(kv[2], ',')) k);
            WHEN kv[1] = 'indexes' THEN
                h_indexes := h_indexes || ARRAY(SELECT btrim(i, ' ()') FROM unnest(string_to_array(kv[2], ';')) i
                                                WHERE btrim(i, ' ()') <> '');
            WHEN kv[1] = 'incremental_strategy' THEN h_strategy := btrim(kv[2]);
            WHEN kv[1] = 'tests' AND kv[2] ~* '^\s*(warn\s+)?sql\s' THEN
                -- a SQL test takes the whole line
                h_tests := h_tests || jsonb_build_array(gtfs_fdw.parse_test(name, kv[2]));
            WHEN kv[1] = 'tests' THEN
                h_tests := h_tests || coalesce((
                    SELECT jsonb_agg(gtfs_fdw.parse_test(name, t))
                    FROM unnest(regexp_split_to_array(kv[2], ';(?![^(]*\))')) t
                    WHERE btrim(t) <> ''), '[]');
            WHEN kv[1] ~ '^column\s+' THEN
                h_columns := h_columns || jsonb_build_object(
                    regexp_replace(kv[1], '^column\s+', ''), btrim(kv[2]));
            ELSE
                NULL;   -- other comments are the author's
        END CASE;
    END LOOP;
    IF tests IS NOT NULL THEN
        h_tests := h_tests || coalesce((SELECT jsonb_agg(gtfs_fdw.parse_test(name, t))
                                        FROM unnest(tests) t), '[]');
    END IF;

    h_materialized := coalesce(materialized, h_materialized, 'view');
    h_layer := coalesce(layer, h_layer,
        CASE WHEN name ~ '^stg_' THEN 'staging' WHEN name ~ '^int_' THEN 'intermediate'
             ELSE 'marts' END);
    IF h_materialized NOT IN ('view', 'table', 'incremental') THEN
        RAISE EXCEPTION 'invalid materialization "%" for model "%"', h_materialized, name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use view, table or incremental.';
    END IF;
    IF h_layer NOT IN ('staging', 'intermediate', 'marts') THEN
        RAISE EXCEPTION 'invalid layer "%" for model "%"', h_layer, name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use staging, intermediate or marts.';
    END IF;
    h_strategy := coalesce(incremental_strategy, h_strategy, 'delete+insert');
    IF h_strategy NOT IN ('delete+insert', 'merge') THEN
        RAISE EXCEPTION 'invalid incremental strategy "%" for model "%"', h_strategy, name
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use delete+insert or merge.';
    END IF;
    h_key := coalesce(unique_key, h_key);
    h_indexes := gtfs_fdw.normalize_indexes(name, coalesce(indexes, h_indexes));
    IF h_materialized = 'incremental' AND h_strategy = 'merge' AND h_key IS NULL THEN
        RAISE EXCEPTION 'incremental model "%" with the merge strategy needs a unique_key', name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- references: every ref() must name a model
    deps := ARRAY(SELECT DISTINCT r[1] FROM regexp_matches(sql,
                  '\{\{\s*ref\(\s*[''"]([^''"]+)[''"]\s*\)\s*\}\}', 'g') r ORDER BY 1);
    SELECT d INTO unknown FROM unnest(deps) d
    WHERE d <> name AND NOT EXISTS (SELECT FROM gtfs_fdw.models m WHERE m.name = d) LIMIT 1;
    IF unknown IS NOT NULL AND validate THEN
        RAISE EXCEPTION 'model "%" refers to unknown model "%"', name, unknown
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create the models a model refers to first.';
    END IF;

    INSERT INTO gtfs_fdw.models AS m (name, layer, materialized, sql, description, tags,
                                      unique_key, indexes, incremental_strategy, tests,
                                      columns, depends_on, builtin)
    VALUES (name, h_layer, h_materialized, sql,
            coalesce(create_model.description, h_description),
            coalesce(create_model.tags, h_tags), h_key, h_indexes, h_strategy, h_tests,
            h_columns, deps, builtin)
    ON CONFLICT ON CONSTRAINT models_pkey DO UPDATE
      SET layer = excluded.layer, materialized = excluded.materialized, sql = excluded.sql,
          description = excluded.description, tags = excluded.tags,
          unique_key = excluded.unique_key, indexes = excluded.indexes,
          incremental_strategy = excluded.incremental_strategy,
          tests = excluded.tests, columns = excluded.columns, depends_on = excluded.depends_on;

    cycle := CASE WHEN validate THEN gtfs_fdw.model_cycle() END;
    IF cycle IS NOT NULL THEN
        RAISE EXCEPTION 'model "%" would make a cycle of references: %', name, cycle
            USING ERRCODE = 'invalid_recursion';
    END IF;
    IF validate THEN
        PERFORM gtfs_fdw.compile_model(name);   -- unknown sources and templates
    END IF;
    RETURN gtfs_fdw.model_relation(name);
END $$;
COMMENT ON FUNCTION gtfs_fdw.create_model(text, text, text, text, text[], text[], text[], text, text, boolean, boolean, boolean, text[]) IS
  'registers a model (a SELECT using {{ ref() }} and {{ source() }}); returns the relation it builds';

CREATE FUNCTION gtfs_fdw.drop_model(name text, drop_relation boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m gtfs_fdw.models;
    users text;
BEGIN
    SELECT * INTO m FROM gtfs_fdw.models x WHERE x.name = drop_model.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" does not exist', name USING ERRCODE = 'undefined_object';
    END IF;
    IF m.builtin THEN
        RAISE EXCEPTION 'model "%" is built into gtfs_fdw', name
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Disable it instead: UPDATE gtfs_fdw.models SET enabled = false WHERE name = ...';
    END IF;
    SELECT string_agg(x.name, ', ' ORDER BY x.name) INTO users FROM gtfs_fdw.models x
    WHERE drop_model.name = ANY (x.depends_on);
    IF users IS NOT NULL THEN
        RAISE EXCEPTION 'model "%" is used by: %', name, users USING ERRCODE = 'dependent_objects_still_exist';
    END IF;
    DELETE FROM gtfs_fdw.models x WHERE x.name = drop_model.name;
    IF drop_relation THEN
        EXECUTE format('DROP %s IF EXISTS %I.%I',
                       CASE m.materialized WHEN 'view' THEN 'VIEW' ELSE 'TABLE' END,
                       gtfs_fdw.model_schema(m.layer), m.name);
    END IF;
END $$;
COMMENT ON FUNCTION gtfs_fdw.drop_model(text, boolean) IS 'removes a model of your own, and its relation';

-- Every model that can be built, with its depth: 0 for a model that refers
-- to no other, else one more than the deepest model it refers to.  Layer by
-- layer (Kahn's algorithm), so the cost grows with models times layers,
-- whatever the shape of the graph.  A model in a reference cycle, or
-- depending on one, is not listed.
CREATE FUNCTION gtfs_fdw.model_depths() RETURNS TABLE (name text, depth integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    placed text[] := '{}';
    layer text[];
    d integer := 0;
BEGIN
    LOOP
        -- models whose every reference is placed (or is no model at all)
        layer := ARRAY(
            SELECT m.name FROM gtfs_fdw.models m
            WHERE m.name <> ALL (placed)
              AND NOT EXISTS (SELECT FROM unnest(m.depends_on) x
                              WHERE x <> ALL (placed)
                                AND EXISTS (SELECT FROM gtfs_fdw.models y WHERE y.name = x)));
        EXIT WHEN cardinality(layer) = 0;
        RETURN QUERY SELECT unnest(layer), d;
        placed := placed || layer;
        d := d + 1;
    END LOOP;
END $$;

-- A cycle among the models' references, as "a -> b -> a", or NULL.
CREATE FUNCTION gtfs_fdw.model_cycle() RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    stuck text[] := ARRAY(SELECT m.name FROM gtfs_fdw.models m
                          EXCEPT SELECT x.name FROM gtfs_fdw.model_depths() x);
    path text[];
    cur text;
BEGIN
    IF cardinality(stuck) = 0 THEN
        RETURN NULL;
    END IF;
    -- every model left over refers to another left over: follow such
    -- references until one comes round again
    cur := (SELECT min(x) FROM unnest(stuck) x);
    path := ARRAY[cur];
    LOOP
        cur := (SELECT min(d) FROM gtfs_fdw.models m, unnest(m.depends_on) d
                WHERE m.name = cur AND d = ANY (stuck));
        IF cur = ANY (path) THEN
            RETURN array_to_string(path[array_position(path, cur):] || cur, ' -> ');
        END IF;
        path := path || cur;
    END LOOP;
END $$;

-- The models a selector picks, in build order (every model after the
-- models it refers to).  Selector: space-separated terms, each a model name,
-- name+ (it and what depends on it), +name (it and what it depends on), or
-- tag:<tag>.  NULL selects every enabled model.
CREATE FUNCTION gtfs_fdw.select_models(selector text DEFAULT NULL)
RETURNS TABLE (name text, depth integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    term text;
    picked text[] := '{}';
    base text;
BEGIN
    IF gtfs_fdw.model_cycle() IS NOT NULL THEN
        RAISE EXCEPTION 'the models'' references make a cycle: %', gtfs_fdw.model_cycle()
            USING ERRCODE = 'invalid_recursion';
    END IF;
    IF selector IS NULL OR btrim(selector) = '' THEN
        picked := ARRAY(SELECT m.name FROM gtfs_fdw.models m WHERE m.enabled);
    ELSE
        FOREACH term IN ARRAY regexp_split_to_array(btrim(selector), '\s+') LOOP
            IF term ~ '^tag:' THEN
                picked := picked || ARRAY(SELECT m.name FROM gtfs_fdw.models m
                                          WHERE substr(term, 5) = ANY (m.tags));
                CONTINUE;
            END IF;
            base := btrim(term, '+');
            IF NOT EXISTS (SELECT FROM gtfs_fdw.models m WHERE m.name = base) THEN
                RAISE EXCEPTION 'no model matches "%"', term
                    USING ERRCODE = 'undefined_object',
                          HINT = 'SELECT name FROM gtfs_fdw.models lists the models.';
            END IF;
            picked := picked || base;
            IF term LIKE '%+' THEN   -- and everything downstream
                picked := picked || ARRAY(
                    WITH RECURSIVE down(name) AS (
                        SELECT base
                        UNION
                        SELECT m.name FROM gtfs_fdw.models m JOIN down ON down.name = ANY (m.depends_on))
                    SELECT down.name FROM down);
            END IF;
            IF term LIKE '+%' THEN   -- and everything upstream
                picked := picked || ARRAY(
                    WITH RECURSIVE up(name) AS (
                        SELECT base
                        UNION
                        SELECT d FROM up JOIN gtfs_fdw.models m ON m.name = up.name, unnest(m.depends_on) d)
                    SELECT up.name FROM up);
            END IF;
        END LOOP;
    END IF;

    RETURN QUERY
    SELECT d.name, d.depth FROM gtfs_fdw.model_depths() d
    WHERE d.name = ANY (picked)
      AND (SELECT m.enabled FROM gtfs_fdw.models m WHERE m.name = d.name)
    ORDER BY 2, 1;
END $$;
COMMENT ON FUNCTION gtfs_fdw.select_models(text) IS 'the models a selector picks, in build order';

-- Keep one view per GTFS file in gtfs_source: every feed's staging table.
-- Each staging table has CHECK (feed_id = <its feed>), so a filter on
-- feed_id skips the other feeds' tables (constraint exclusion).  A view is
-- re-created only when the set of tables it should read changed, since
-- re-creating it locks out its readers until the transaction ends; loads and
-- model runs take turns on the lock 'gtfs_fdw.sources' (see load.c).
CREATE FUNCTION gtfs_fdw.refresh_sources() RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    spec record;
    branches text;
    wanted oid[];
    current oid[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('gtfs_fdw.sources'));
    FOR spec IN
        SELECT replace(s.file, '.txt', '') AS tbl,
               string_agg(format('%I', s.field), ', ' ORDER BY s.field_position) AS cols,
               string_agg(format('NULL::%s AS %I', s.pg_type, s.field), ', ' ORDER BY s.field_position) AS nulls
        FROM gtfs_fdw.spec_fields s GROUP BY s.file
    LOOP
        SELECT string_agg(format('SELECT feed_id, load_id, %s FROM %I.%I',
                                 spec.cols, f.staging_schema, spec.tbl),
                          E'\nUNION ALL\n' ORDER BY f.feed_id),
               coalesce(array_agg(to_regclass(format('%I.%I', f.staging_schema, spec.tbl))::oid
                                  ORDER BY 1), '{}')
        INTO branches, wanted
        FROM gtfs_fdw.feeds f
        WHERE to_regclass(format('%I.%I', f.staging_schema, spec.tbl)) IS NOT NULL;
        -- the tables the view reads now
        SELECT coalesce(array_agg(DISTINCT d.refobjid ORDER BY d.refobjid), '{}') INTO current
        FROM pg_depend d
        JOIN pg_rewrite rw ON rw.oid = d.objid
        JOIN pg_class t ON t.oid = d.refobjid AND t.relkind = 'r'
        WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
          AND rw.ev_class = to_regclass(format('gtfs_source.%I', spec.tbl));
        CONTINUE WHEN to_regclass(format('gtfs_source.%I', spec.tbl)) IS NOT NULL
                  AND current = wanted;
        EXECUTE format('CREATE OR REPLACE VIEW gtfs_source.%I AS %s', spec.tbl,
            coalesce(branches, format('SELECT NULL::integer AS feed_id, NULL::bigint AS load_id, %s WHERE false',
                                      spec.nulls)));
    END LOOP;
END $$;
COMMENT ON FUNCTION gtfs_fdw.refresh_sources() IS 're-creates the gtfs_source views over the staging tables of every feed';

-- Every model refers only to models that exist, and no cycle.
CREATE FUNCTION gtfs_fdw.validate_models() RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    bad record;
BEGIN
    SELECT m.name, d INTO bad FROM gtfs_fdw.models m, unnest(m.depends_on) d
    WHERE NOT EXISTS (SELECT FROM gtfs_fdw.models x WHERE x.name = d) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'model "%" refers to unknown model "%"', bad.name, bad.d
            USING ERRCODE = 'undefined_object';
    END IF;
    IF gtfs_fdw.model_cycle() IS NOT NULL THEN
        RAISE EXCEPTION 'the models'' references make a cycle: %', gtfs_fdw.model_cycle()
            USING ERRCODE = 'invalid_recursion';
    END IF;
END $$;
