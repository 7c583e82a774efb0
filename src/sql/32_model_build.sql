-- Building models: compile a model's SQL, and materialize it as a view, a
-- table built aside and swapped in, or an incremental table.

-- A model's SQL with its references resolved.
CREATE FUNCTION gtfs_fdw.compile_model(model text, sql text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m gtfs_fdw.models;
    out text;
    r text[];
    bad text;
BEGIN
    SELECT * INTO m FROM gtfs_fdw.models x WHERE x.name = model;
    out := coalesce(sql, m.sql);
    FOR r IN SELECT DISTINCT x FROM regexp_matches(out, '\{\{\s*ref\(\s*[''"]([^''"]+)[''"]\s*\)\s*\}\}', 'g') x LOOP
        IF gtfs_fdw.model_relation(r[1]) IS NULL THEN
            RAISE EXCEPTION 'model "%" refers to unknown model "%"', model, r[1]
                USING ERRCODE = 'undefined_object';
        END IF;
        out := regexp_replace(out, '\{\{\s*ref\(\s*[''"]' || r[1] || '[''"]\s*\)\s*\}\}',
                              gtfs_fdw.model_relation(r[1]), 'g');
    END LOOP;
    FOR r IN SELECT DISTINCT x FROM regexp_matches(out,
             '\{\{\s*source\(\s*[''"]([^''"]+)[''"]\s*,\s*[''"]([^''"]+)[''"]\s*\)\s*\}\}', 'g') x LOOP
        IF r[1] <> 'gtfs' OR NOT EXISTS (SELECT FROM gtfs_fdw.spec_files s WHERE s.file = r[2] || '.txt') THEN
            RAISE EXCEPTION 'model "%" reads unknown source "%.%"', model, r[1], r[2]
                USING ERRCODE = 'undefined_object',
                      HINT = 'Sources are source(''gtfs'', <file of the GTFS reference without .txt>), such as source(''gtfs'', ''stops'').';
        END IF;
        out := regexp_replace(out, '\{\{\s*source\(\s*[''"]' || r[1] || '[''"]\s*,\s*[''"]' || r[2] || '[''"]\s*\)\s*\}\}',
                              format('gtfs_source.%I', r[2]), 'g');
    END LOOP;
    out := regexp_replace(out, '\{\{\s*this\s*\}\}', coalesce(gtfs_fdw.model_relation(model), ''), 'g');
    bad := substring(out FROM '\{\{[^}]*\}\}');
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'model "%" uses unknown template %', model, bad
            USING ERRCODE = 'syntax_error',
                  HINT = 'Models know {{ ref(''model'') }}, {{ source(''gtfs'', ''file'') }} and {{ this }}.';
    END IF;
    -- a trailing semicolon would end the statement it is wrapped into, and a
    -- last line that is a comment would swallow what follows it
    RETURN regexp_replace(out, ';(\s|--[^\n]*)*$', '') || E'\n';
END $$;
COMMENT ON FUNCTION gtfs_fdw.compile_model(text, text) IS 'a model''s SQL with {{ ref() }}, {{ source() }} and {{ this }} resolved';

-- The output columns of a query, as "name type" pairs, via a throwaway table.
CREATE FUNCTION gtfs_fdw.query_columns(query text) RETURNS text[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cols text[];
BEGIN
    EXECUTE format('CREATE TEMP TABLE gtfs_model_shape AS %s WITH NO DATA', query);
    SELECT array_agg(format('%I %s', attname, format_type(atttypid, atttypmod)) ORDER BY attnum)
    INTO cols FROM pg_attribute
    WHERE attrelid = 'pg_temp.gtfs_model_shape'::regclass AND attnum > 0 AND NOT attisdropped;
    DROP TABLE pg_temp.gtfs_model_shape;
    RETURN cols;
END $$;

CREATE FUNCTION gtfs_fdw.relation_columns(rel text) RETURNS text[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT array_agg(format('%I %s', attname, format_type(atttypid, atttypmod)) ORDER BY attnum)
    FROM pg_attribute WHERE attrelid = rel::regclass AND attnum > 0 AND NOT attisdropped
$$;

-- The key columns of an index, in order, or NULL for an index on
-- expressions or a partial one.
CREATE FUNCTION gtfs_fdw.index_columns(index_oid oid) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT string_agg(a.attname, ', ' ORDER BY k.ord)
    FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indexrelid = index_oid AND i.indexprs IS NULL AND i.indpred IS NULL
      AND k.ord <= i.indnkeyatts
$$;

-- Give a model's table the indexes its model declares, and drop those it
-- declared before and no longer does (recognized by their comment); other
-- indexes, such as ones an administrator added, stay.
CREATE FUNCTION gtfs_fdw.sync_model_indexes(m gtfs_fdw.models, rel text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    marker constant text := 'declared by the model''s indexes';
    cols text;
    idx record;
BEGIN
    FOR idx IN
        SELECT i.indexrelid::regclass AS name FROM pg_index i
        WHERE i.indrelid = rel::regclass
          AND obj_description(i.indexrelid, 'pg_class') = marker
          AND coalesce(gtfs_fdw.index_columns(i.indexrelid), '') <> ALL (m.indexes)
    LOOP
        EXECUTE format('DROP INDEX %s', idx.name);
    END LOOP;
    FOREACH cols IN ARRAY m.indexes LOOP
        CONTINUE WHEN EXISTS (SELECT FROM pg_index i WHERE i.indrelid = rel::regclass
                              AND gtfs_fdw.index_columns(i.indexrelid) = cols);
        EXECUTE format('CREATE INDEX ON %s (%s)', rel,
                       (SELECT string_agg(format('%I', btrim(c)), ', ')
                        FROM unnest(string_to_array(cols, ',')) c));
        SELECT i.indexrelid::regclass AS name INTO idx FROM pg_index i
        WHERE i.indrelid = rel::regclass AND gtfs_fdw.index_columns(i.indexrelid) = cols
        ORDER BY i.indexrelid DESC LIMIT 1;
        EXECUTE format('COMMENT ON INDEX %s IS %L', idx.name, marker);
    END LOOP;
END $$;

-- Create a model's table and fill it: the rows first, then the primary key
-- (its unique_key), an index on feed_id and the declared indexes, which is
-- faster than keeping them up to date row by row.  Returns the rows.
CREATE FUNCTION gtfs_fdw.create_model_table(m gtfs_fdw.models, rel text, compiled text, cols text[])
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format('CREATE TABLE %s (%s)', rel, array_to_string(cols, ', '));
    EXECUTE format('INSERT INTO %s SELECT * FROM (%s) gtfs_model', rel, compiled);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF m.unique_key IS NOT NULL THEN
        EXECUTE format('ALTER TABLE %s ADD PRIMARY KEY (%s)', rel,
                       (SELECT string_agg(format('%I', k), ', ') FROM unnest(m.unique_key) k));
    END IF;
    IF EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = rel::regclass
               AND a.attname = 'feed_id' AND NOT a.attisdropped)
       AND (m.unique_key IS NULL OR m.unique_key[1] <> 'feed_id') THEN
        EXECUTE format('CREATE INDEX ON %s (feed_id)', rel);
    END IF;
    PERFORM gtfs_fdw.sync_model_indexes(m, rel);
    RETURN n;
END $$;

-- Put a table built aside in the place of a model's table, in the calling
-- transaction: readers see the old table until it commits, then the new.
-- Views on the old table are re-created on the new one and its grants are
-- repeated; the swap waits for readers at most gtfs_fdw.swap_lock_timeout.
CREATE FUNCTION gtfs_fdw.swap_model_table(model text, rel text, new_rel text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    schema_name name := (SELECT relnamespace::regnamespace::name FROM pg_class WHERE oid = rel::regclass);
    table_name name := (SELECT relname FROM pg_class WHERE oid = rel::regclass);
    old_name name := left('_old_' || table_name, 63);
    grants text[];
    views text[];
    saved_timeout text := current_setting('lock_timeout');
    statement text;
BEGIN
    grants := ARRAY(
        SELECT format('GRANT %s ON %s TO %s%s', a.privilege_type, new_rel,
                      CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END,
                      CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
        FROM pg_class c, aclexplode(c.relacl) a
        LEFT JOIN pg_roles r ON r.oid = a.grantee
        WHERE c.oid = rel::regclass AND a.grantee <> c.relowner);
    -- the views' text, qualified (only pg_catalog is on the search path),
    -- read before the renames so that it names the model's table
    views := ARRAY(
        SELECT DISTINCT format('CREATE OR REPLACE VIEW %s%s AS %s', v.oid::regclass,
                               CASE WHEN v.reloptions IS NOT NULL
                                    THEN ' WITH (' || array_to_string(v.reloptions, ', ') || ')'
                                    ELSE '' END,
                               pg_get_viewdef(v.oid))
        FROM pg_depend d
        JOIN pg_rewrite rw ON rw.oid = d.objid
        JOIN pg_class v ON v.oid = rw.ev_class
        WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
          AND d.refobjid = rel::regclass AND v.relkind = 'v');

    PERFORM set_config('lock_timeout',
                       coalesce(current_setting('gtfs_fdw.swap_lock_timeout', true), '10s'), true);
    BEGIN
        EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', rel);
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION 'model "%": could not swap in the new table: % stayed in use for longer than gtfs_fdw.swap_lock_timeout', model, rel
            USING ERRCODE = 'lock_not_available',
                  HINT = 'Long queries on the table hold it; the old table stays. Raise gtfs_fdw.swap_lock_timeout or run the models again.';
    END;
    PERFORM set_config('lock_timeout', saved_timeout, true);

    FOREACH statement IN ARRAY grants LOOP
        EXECUTE statement;
    END LOOP;
    EXECUTE format('ALTER TABLE %s RENAME TO %I', rel, old_name);
    EXECUTE format('ALTER TABLE %s RENAME TO %I', new_rel, table_name);
    FOREACH statement IN ARRAY views LOOP
        EXECUTE statement;
    END LOOP;
    EXECUTE format('DROP TABLE %I.%I', schema_name, old_name);
    -- the new table's indexes take the names the old ones had
    FOR statement IN
        SELECT format('ALTER INDEX %s RENAME TO %I', c.oid::regclass, substr(c.relname, 6))
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = format('%I.%I', schema_name, table_name)::regclass
          AND c.relname LIKE '\_new\_%'
    LOOP
        EXECUTE statement;
    END LOOP;
END $$;

-- Drop a model's relation to build it anew (its columns or its kind
-- changed).  Whatever depends on it goes too, so that must be models this
-- run builds after it (rebuilt): a view of someone else's, or a model not in
-- the run, would vanish without a word.
CREATE FUNCTION gtfs_fdw.drop_model_relation(m gtfs_fdw.models, rel text, rebuilt text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    blocking text;
BEGIN
    WITH RECURSIVE dependent(oid) AS (
        SELECT rw.ev_class FROM pg_depend d JOIN pg_rewrite rw ON rw.oid = d.objid
        WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
          AND d.refobjid = rel::regclass AND rw.ev_class <> rel::regclass
        UNION
        SELECT rw.ev_class FROM dependent x
        JOIN pg_depend d ON d.refobjid = x.oid AND d.refclassid = 'pg_class'::regclass
                        AND d.classid = 'pg_rewrite'::regclass
        JOIN pg_rewrite rw ON rw.oid = d.objid AND rw.ev_class <> x.oid
    )
    SELECT string_agg(x.oid::regclass::text, ', ' ORDER BY x.oid::regclass::text) INTO blocking
    FROM dependent x
    WHERE x.oid::regclass::text <> ALL (SELECT gtfs_fdw.model_relation(r) FROM unnest(coalesce(rebuilt, '{}')) r);
    IF blocking IS NOT NULL THEN
        RAISE EXCEPTION 'model "%" must be created anew, and % would go with it', m.name, blocking
            USING ERRCODE = 'dependent_objects_still_exist',
                  DETAIL = 'Its columns or its materialization changed, so ' || rel || ' is dropped and built again.',
                  HINT = format('Run it with the models that depend on it (''%s+''); drop views of your own on it first.', m.name);
    END IF;
    RAISE NOTICE 'model "%": % is created anew', m.name, rel;
    EXECUTE format('DROP %s %s CASCADE',
                   CASE (SELECT relkind FROM pg_class WHERE oid = rel::regclass)
                       WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END, rel);
END $$;

-- Keep a model's primary key on its unique_key (which may have changed).
CREATE FUNCTION gtfs_fdw.sync_model_key(m gtfs_fdw.models, rel text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    pk record;
BEGIN
    SELECT c.conname, gtfs_fdw.index_columns(c.conindid) AS cols INTO pk
    FROM pg_constraint c WHERE c.conrelid = rel::regclass AND c.contype = 'p';
    IF pk.cols IS NOT DISTINCT FROM array_to_string(m.unique_key, ', ') THEN
        RETURN;
    END IF;
    IF pk.conname IS NOT NULL THEN
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', rel, pk.conname);
    END IF;
    IF m.unique_key IS NOT NULL THEN
        EXECUTE format('ALTER TABLE %s ADD PRIMARY KEY (%s)', rel,
                       (SELECT string_agg(format('%I', k), ', ') FROM unnest(m.unique_key) k));
    END IF;
END $$;

-- Merge one feed's rows of an incremental model by its unique_key: rows
-- whose values changed are updated, new ones inserted, and the feed's rows
-- that are no longer in the result deleted.  Returns the rows written.
CREATE FUNCTION gtfs_fdw.merge_feed_rows(m gtfs_fdw.models, rel text, compiled text, feed_id integer)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    names text;
    others text[];
    keys text := (SELECT string_agg(format('%I', k), ', ') FROM unnest(m.unique_key) k);
    n bigint;
BEGIN
    SELECT string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum),
           array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attname <> ALL (m.unique_key))
    INTO names, others
    FROM pg_attribute a WHERE a.attrelid = rel::regclass AND a.attnum > 0 AND NOT a.attisdropped;
    EXECUTE format('CREATE TEMP TABLE gtfs_model_rows ON COMMIT DROP AS SELECT %s FROM (%s) gtfs_model WHERE feed_id = %s',
                   names, compiled, feed_id);
    IF others IS NULL THEN
        EXECUTE format('INSERT INTO %s AS t (%s) SELECT %s FROM pg_temp.gtfs_model_rows '
                       'ON CONFLICT (%s) DO NOTHING', rel, names, names, keys);
    ELSE
        EXECUTE format('INSERT INTO %s AS t (%s) SELECT %s FROM pg_temp.gtfs_model_rows '
                       'ON CONFLICT (%s) DO UPDATE SET %s WHERE (%s) IS DISTINCT FROM (%s)',
                       rel, names, names, keys,
                       (SELECT string_agg(format('%1$I = excluded.%1$I', o), ', ') FROM unnest(others) o),
                       (SELECT string_agg(format('t.%I', o), ', ') FROM unnest(others) o),
                       (SELECT string_agg(format('excluded.%I', o), ', ') FROM unnest(others) o));
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    EXECUTE format('DELETE FROM %s t WHERE t.feed_id = %s AND NOT EXISTS ('
                   'SELECT 1 FROM pg_temp.gtfs_model_rows s WHERE %s)',
                   rel, feed_id,
                   (SELECT string_agg(format('s.%1$I = t.%1$I', k), ' AND ') FROM unnest(m.unique_key) k));
    DROP TABLE pg_temp.gtfs_model_rows;
    RETURN n;
END $$;

-- Build one model; returns the rows written (NULL for a view).  With a
-- feed_id, incremental models rebuild only that feed's rows.  rebuilt: the
-- models of the run, which may be dropped and built again with this one.
CREATE FUNCTION gtfs_fdw.build_model(m gtfs_fdw.models, feed_id integer DEFAULT NULL,
                                     rebuilt text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel text := gtfs_fdw.model_relation(m.name);
    compiled text := gtfs_fdw.compile_model(m.name);
    new_rel text := format('%I.%I', gtfs_fdw.model_schema(m.layer), left('_new_' || m.name, 63));
    kind "char" := (SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(rel));
    view_hash text;
    cols text[];
    names text;
    scoped boolean;
    n bigint;
    c record;
BEGIN
    -- a view that became a table, or the other way round: start over
    IF kind IS NOT NULL AND (kind = 'v') <> (m.materialized = 'view') THEN
        PERFORM gtfs_fdw.drop_model_relation(m, rel, rebuilt);
        kind := NULL;
    END IF;

    IF m.materialized = 'view' THEN
        -- unchanged views stay: re-creating one locks out its readers
        -- until the run commits
        view_hash := md5(compiled || E'\n' || coalesce(m.description, '') || E'\n' || m.columns::text);
        IF kind = 'v' AND m.built_hash IS NOT DISTINCT FROM view_hash THEN
            RETURN NULL;
        END IF;
        BEGIN
            EXECUTE format('CREATE OR REPLACE VIEW %s AS %s', rel, compiled);
        EXCEPTION WHEN invalid_table_definition OR feature_not_supported THEN
            -- its columns changed: start over
            PERFORM gtfs_fdw.drop_model_relation(m, rel, rebuilt);
            EXECUTE format('CREATE VIEW %s AS %s', rel, compiled);
        END;
        UPDATE gtfs_fdw.models x SET built_hash = view_hash WHERE x.name = m.name;
        n := NULL;
    ELSE
        cols := gtfs_fdw.query_columns(compiled);
        IF kind IS NOT NULL AND gtfs_fdw.relation_columns(rel) IS DISTINCT FROM cols THEN
            PERFORM gtfs_fdw.drop_model_relation(m, rel, rebuilt);
            kind := NULL;
        END IF;

        IF kind IS NULL THEN
            n := gtfs_fdw.create_model_table(m, rel, compiled, cols);
        ELSIF m.materialized = 'table' THEN
            -- built aside, then swapped in: no row-by-row index upkeep, no
            -- dead rows left behind
            n := gtfs_fdw.create_model_table(m, new_rel, compiled, cols);
            PERFORM gtfs_fdw.swap_model_table(m.name, rel, new_rel);
        ELSE
            -- incremental: the table keeps its identity (for logical
            -- replication, and indexes added by hand); its rows change in
            -- this transaction, so readers see the old rows until it commits
            PERFORM gtfs_fdw.sync_model_key(m, rel);
            PERFORM gtfs_fdw.sync_model_indexes(m, rel);
            scoped := feed_id IS NOT NULL AND EXISTS (
                SELECT FROM pg_attribute a WHERE a.attrelid = rel::regclass
                AND a.attname = 'feed_id' AND NOT a.attisdropped);
            SELECT string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum) INTO names
            FROM pg_attribute a WHERE a.attrelid = rel::regclass AND a.attnum > 0 AND NOT a.attisdropped;
            IF NOT scoped THEN
                EXECUTE format('DELETE FROM %s', rel);
                EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM (%s) gtfs_model', rel, names, names, compiled);
                GET DIAGNOSTICS n = ROW_COUNT;
            ELSIF m.incremental_strategy = 'delete+insert' THEN
                EXECUTE format('DELETE FROM %s WHERE feed_id = %s', rel, feed_id);
                EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM (%s) gtfs_model WHERE feed_id = %s',
                               rel, names, names, compiled, feed_id);
                GET DIAGNOSTICS n = ROW_COUNT;
            ELSE
                n := gtfs_fdw.merge_feed_rows(m, rel, compiled, feed_id);
            END IF;
        END IF;
        EXECUTE format('ANALYZE %s', rel);
    END IF;

    EXECUTE format('COMMENT ON %s %s IS %L', CASE m.materialized WHEN 'view' THEN 'VIEW' ELSE 'TABLE' END,
                   rel, m.description);
    FOR c IN SELECT key, value FROM jsonb_each_text(m.columns) LOOP
        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', rel, c.key, c.value);
    END LOOP;
    RETURN n;
END $$;

-- Delete a feed's rows from every model table (when the feed is dropped).
CREATE FUNCTION gtfs_fdw.forget_feed_rows(feed_id integer) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel text;
BEGIN
    FOR rel IN
        SELECT gtfs_fdw.model_relation(m.name) FROM gtfs_fdw.models m
        WHERE m.materialized <> 'view'
          AND to_regclass(gtfs_fdw.model_relation(m.name)) IS NOT NULL
          AND EXISTS (SELECT FROM pg_attribute a
                      WHERE a.attrelid = to_regclass(gtfs_fdw.model_relation(m.name))
                        AND a.attname = 'feed_id' AND NOT a.attisdropped)
    LOOP
        EXECUTE format('DELETE FROM %s WHERE feed_id = $1', rel) USING feed_id;
    END LOOP;
END $$;
