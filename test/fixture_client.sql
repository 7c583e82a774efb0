-- Included by the regression scripts that talk to test/fixture_server.py:
-- pg_temp.fixture(path) asks it something (its counters, its controls),
-- pg_temp.seen(path) says what one path saw.  Set :base first.
SELECT set_config('gtfs_test.base', :'base', false) IS NOT NULL AS fixture_base_set;
CREATE TEMP TABLE fixture_reply (line text);
CREATE FUNCTION pg_temp.fixture(path text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    body text;
BEGIN
    TRUNCATE fixture_reply;
    EXECUTE format('COPY fixture_reply FROM PROGRAM %L WITH (FORMAT csv, QUOTE E''\x01'', DELIMITER E''\x02'')',
                   format('curl -s --max-time 10 %s',
                          quote_literal(current_setting('gtfs_test.base') || path)));
    SELECT string_agg(line, E'\n') INTO body FROM fixture_reply;
    RETURN CASE WHEN body LIKE '{%' THEN body::jsonb ELSE to_jsonb(body) END;
END $$;
-- requests, conditional ones, 304s, full bodies
CREATE FUNCTION pg_temp.seen(path text) RETURNS text LANGUAGE sql AS $$
    SELECT format('requests=%s conditional=%s not_modified=%s full=%s',
                  s->>'requests', s->>'conditional', s->>'not_modified', s->>'full')
    FROM pg_temp.fixture('/stats?path=' || path) s
$$;
