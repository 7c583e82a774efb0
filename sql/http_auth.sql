-- Credentials: kept in user mappings, sent as a header, a query parameter or
-- basic auth, only to the configured origin, and never shown in a message.
\getenv port FIXTURE_PORT
\set base 'http://127.0.0.1:' :port
SET gtfs_fdw.cache_dir = 'gtfs_fdw_cache_auth_test';
\i test/fixture_client.sql

\set auth_url :base '/auth/minimal.zip'
CREATE SERVER secured FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'auth_url');
CREATE FOREIGN TABLE secured_stops (stop_id text) SERVER secured OPTIONS (file 'stops.txt');

-- no credentials: the server's 401, with a hint
SELECT count(*) FROM secured_stops;  -- ERROR

-- a key with nowhere to go
CREATE USER MAPPING FOR CURRENT_USER SERVER secured OPTIONS (api_key 'sekret-key-123');
SELECT count(*) FROM secured_stops;  -- ERROR

-- the key in a header
ALTER SERVER secured OPTIONS (ADD api_key_header 'X-Api-Key');
SELECT count(*) FROM secured_stops;

-- the key as a query parameter; the URL shown stays without it
ALTER SERVER secured OPTIONS (DROP api_key_header, ADD api_key_param 'key');
SELECT count(*) FROM secured_stops;
EXPLAIN (COSTS OFF) SELECT * FROM secured_stops;
-- one cache entry per set of credentials: a role never reads bytes that
-- another role's key fetched
SELECT url, count(*) FROM gtfs_fdw.cache_entries GROUP BY url ORDER BY url;

-- a wrong key is refused, and not repeated in the error
ALTER USER MAPPING FOR CURRENT_USER SERVER secured OPTIONS (SET api_key 'wrong-key-999');
SELECT count(*) FROM secured_stops;  -- ERROR
-- even when the remote server echoes it back, the message shows ***
\set echo_url :base '/echo-status/401'
CREATE SERVER echo FOREIGN DATA WRAPPER gtfs_fdw
  OPTIONS (url :'echo_url', api_key_header 'X-Api-Key');
CREATE USER MAPPING FOR CURRENT_USER SERVER echo
  OPTIONS (api_key 'echoed-secret-456', headers '{"Authorization": "Bearer tok-789xyz"}');
CREATE FOREIGN TABLE echo_stops (stop_id text) SERVER echo OPTIONS (file 'stops.txt');
DO $$
DECLARE
    msg text;
    detail text;
BEGIN
    PERFORM count(*) FROM echo_stops;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    RAISE NOTICE 'error: %', msg;
    RAISE NOTICE 'detail shows the echoed headers: %, a secret: %, both blanked: %',
        detail LIKE '%x-api-key%',
        detail ~ '(echoed-secret|tok-789)',
        detail LIKE '%"x-api-key": "***"%' AND detail LIKE '%"authorization": "***"%';
END $$;

-- a key sent as a query parameter comes back percent-escaped, and basic
-- auth as base64: both forms are blanked too
CREATE SERVER echo_forms FOREIGN DATA WRAPPER gtfs_fdw
  OPTIONS (url :'echo_url', api_key_param 'key');
CREATE USER MAPPING FOR CURRENT_USER SERVER echo_forms
  OPTIONS (api_key 'a key/with+odd=chars', username 'alice', password 'wonder land!');
CREATE FOREIGN TABLE echo_forms_stops (stop_id text) SERVER echo_forms OPTIONS (file 'stops.txt');
DO $$
DECLARE
    detail text;
BEGIN
    PERFORM count(*) FROM echo_forms_stops;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RAISE NOTICE 'escaped key shown: %, base64 credentials shown: %, both blanked: %',
        strpos(detail, 'a%20key') > 0,
        strpos(detail, encode(convert_to('alice:wonder land!', 'UTF8'), 'base64')) > 0,
        detail LIKE '%key=***%' AND detail LIKE '%"authorization": "Basic ***"%';
END $$;

-- basic auth, and secret headers from the user mapping
ALTER SERVER secured OPTIONS (DROP api_key_param);
ALTER USER MAPPING FOR CURRENT_USER SERVER secured
  OPTIONS (DROP api_key, ADD username 'alice', ADD password 'wonderland');
SELECT count(*) FROM secured_stops;
ALTER USER MAPPING FOR CURRENT_USER SERVER secured
  OPTIONS (DROP username, DROP password, ADD headers '{"X-Api-Key": "sekret-key-123"}');
SELECT count(*) FROM secured_stops;

-- a mapping for PUBLIC serves every role
DROP USER MAPPING FOR CURRENT_USER SERVER secured;
CREATE USER MAPPING FOR PUBLIC SERVER secured OPTIONS (headers '{"X-Api-Key": "sekret-key-123"}');
CREATE ROLE gtfs_reader;
GRANT USAGE ON SCHEMA public TO gtfs_reader;
GRANT SELECT ON secured_stops TO gtfs_reader;
SET ROLE gtfs_reader;
SELECT count(*) FROM secured_stops;
RESET ROLE;

-- a redirect to another host gets the plain headers, never the secrets
\set other_url :base '/redirect-other-host/minimal.zip'
CREATE SERVER elsewhere FOREIGN DATA WRAPPER gtfs_fdw
  OPTIONS (url :'other_url', api_key_header 'X-Api-Key', headers '{"X-Client": "gtfs-tests"}');
CREATE USER MAPPING FOR CURRENT_USER SERVER elsewhere
  OPTIONS (api_key 'sekret-key-123', headers '{"Authorization": "Bearer tok-789xyz"}');
CREATE FOREIGN TABLE elsewhere_stops (stop_id text) SERVER elsewhere OPTIONS (file 'stops.txt');
SELECT count(*) FROM elsewhere_stops;  -- ERROR
SELECT h->>'host' AS host, h->>'x-client' AS x_client, h ? 'x-api-key' AS got_key,
       h ? 'authorization' AS got_authorization
FROM pg_temp.fixture('/control/last-echo') h;

DROP SERVER secured, echo, echo_forms, elsewhere CASCADE;
REVOKE USAGE ON SCHEMA public FROM gtfs_reader;
DROP ROLE gtfs_reader;
SELECT gtfs_fdw.cache_clear() >= 0 AS cleared;
