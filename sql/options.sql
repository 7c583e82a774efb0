-- Options of servers, user mappings, tables and columns: names, values,
-- and the rule that secrets live only in user mappings.
\set VERBOSITY default

-- a server needs a url; the kind defaults to gtfs
CREATE SERVER s_nourl FOREIGN DATA WRAPPER gtfs_fdw;  -- ERROR
CREATE SERVER s_ok FOREIGN DATA WRAPPER gtfs_fdw
  OPTIONS (url 'https://example.org/gtfs.zip');
CREATE SERVER s_kind FOREIGN DATA WRAPPER gtfs_fdw
  OPTIONS (kind 'gtfs', url 'http://example.org/gtfs.zip', timeout_ms '5000',
           connect_timeout_ms '1000', max_bytes '1048576', max_redirects '0',
           cache_ttl '300', stale_if_error 'true',
           headers '{"Accept": "application/zip", "X-Client": "tests"}');

-- misspelled and misplaced options name the closest valid one
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (ulr 'https://x/');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'https://x/', timeout '5');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'https://x/', api_key 'k');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'https://x/', url 'https://y/');  -- ERROR

-- bad values
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'ftp://example.org/gtfs.zip');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'gtfs.zip');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'file://relative/gtfs.zip');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (kind 'siri', url 'https://x/');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'https://x/', timeout_ms '0');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'https://x/', timeout_ms 'ten');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'https://x/', max_bytes '-1');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'https://x/', stale_if_error 'maybe');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'https://x/', headers 'Accept: zip');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'https://x/', headers '{"Bad Name": "x"}');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'https://x/', headers '{"X-A": 1}');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'https://x/', headers E'{"X-A": "a\\r\\nX-Evil: 1"}');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'https://x/', api_key_header 'bad header');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'https://x/', ca_file 'relative.pem');  -- ERROR

-- credentials in a server URL are refused, with the way to do it right
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw
  OPTIONS (url 'https://api.example.org/feed.zip?route=1&api_key=abc123');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw
  OPTIONS (url 'https://api.example.org/feed.zip?Token=abc123');  -- ERROR
CREATE SERVER s_bad FOREIGN DATA WRAPPER gtfs_fdw
  OPTIONS (url 'https://alice:secret@example.org/feed.zip');  -- ERROR
-- a parameter that merely contains "key" in its name is fine
CREATE SERVER s_keyless FOREIGN DATA WRAPPER gtfs_fdw
  OPTIONS (url 'https://example.org/feed.zip?monkey=1&keys_shown=no');

-- ALTER SERVER is validated with the resulting option list
ALTER SERVER s_ok OPTIONS (DROP url);  -- ERROR
ALTER SERVER s_ok OPTIONS (ADD timeout_ms '2500');
ALTER SERVER s_ok OPTIONS (SET timeout_ms 'soon');  -- ERROR
SELECT srvname, srvoptions FROM pg_foreign_server WHERE srvname IN ('s_ok', 's_kind') ORDER BY 1;

-- user mappings hold the secrets
CREATE USER MAPPING FOR CURRENT_USER SERVER s_ok
  OPTIONS (api_key 'k-123', username 'u', password 'p',
           headers '{"Authorization": "Bearer t0ken"}');
CREATE USER MAPPING FOR PUBLIC SERVER s_ok OPTIONS (url 'https://x/');  -- ERROR
-- a bad headers option does not repeat its (possibly secret) text
CREATE USER MAPPING FOR PUBLIC SERVER s_ok OPTIONS (headers '{"Authorization": "Bearer s3cr3t"');  -- ERROR
DROP USER MAPPING FOR CURRENT_USER SERVER s_ok;

-- foreign tables and columns
CREATE FOREIGN TABLE ft_ok (stop_id text, lat float8 OPTIONS (column_name 'stop_lat'))
  SERVER s_ok OPTIONS (file 'stops.txt', rows '1200', on_error 'skip', missing_ok 'false');
CREATE FOREIGN TABLE ft_bad (a text) SERVER s_ok OPTIONS (fiel 'stops.txt');  -- ERROR
CREATE FOREIGN TABLE ft_bad (a text) SERVER s_ok OPTIONS (file '../etc/passwd');  -- ERROR
CREATE FOREIGN TABLE ft_bad (a text) SERVER s_ok OPTIONS (file '/etc/passwd');  -- ERROR
CREATE FOREIGN TABLE ft_bad (a text) SERVER s_ok OPTIONS (rows 'many');  -- ERROR
CREATE FOREIGN TABLE ft_bad (a text) SERVER s_ok OPTIONS (on_error 'ignore');  -- ERROR
CREATE FOREIGN TABLE ft_bad (a text OPTIONS (colum_name 'x')) SERVER s_ok;  -- ERROR
-- the wrapper itself takes no options
ALTER FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url 'https://x/');  -- ERROR

DROP SERVER s_ok, s_kind, s_keyless CASCADE;
