-- Reading server files is for superusers and members of
-- pg_read_server_files, as with file_fdw; http(s) sources are for anyone the
-- wrapper is granted to.  Secrets in user mappings stay hidden.
\getenv datadir GTFS_TEST_DATA
\set sample_zip :datadir '/sample-gtfs-feed.zip'
\set sample_file_url 'file://' :datadir '/sample-gtfs-feed.zip'

CREATE ROLE gtfs_analyst LOGIN;
CREATE ROLE gtfs_loader LOGIN IN ROLE pg_read_server_files;
GRANT USAGE ON FOREIGN DATA WRAPPER gtfs_fdw TO gtfs_analyst, gtfs_loader;
GRANT CREATE ON SCHEMA public TO gtfs_analyst, gtfs_loader;

SET ROLE gtfs_analyst;
CREATE SERVER analyst_local FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'sample_zip');  -- ERROR
CREATE SERVER analyst_local FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'sample_file_url');  -- ERROR
CREATE SERVER analyst_remote FOREIGN DATA WRAPPER gtfs_fdw
  OPTIONS (url 'https://example.org/gtfs.zip');
ALTER SERVER analyst_remote OPTIONS (SET url :'sample_zip');  -- ERROR
ALTER SERVER analyst_remote OPTIONS (ADD ca_file '/etc/ssl/certs/ca-certificates.crt');  -- ERROR
-- the analyst's own secrets go in a user mapping
CREATE USER MAPPING FOR CURRENT_USER SERVER analyst_remote
  OPTIONS (api_key 'analyst-secret-key');
-- other roles do not see them
RESET ROLE;
SET ROLE gtfs_loader;
SELECT srvname, umoptions FROM pg_user_mappings WHERE srvname = 'analyst_remote';
RESET ROLE;

-- a member of pg_read_server_files may read server files
SET ROLE gtfs_loader;
CREATE SERVER loader_local FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'sample_file_url');
CREATE FOREIGN TABLE public.loader_agency (agency_id text, agency_name text)
  SERVER loader_local OPTIONS (file 'agency.txt');
SELECT * FROM public.loader_agency ORDER BY agency_id;
RESET ROLE;

-- a server a superuser set up may be used by roles granted it, as with
-- file_fdw: the superuser decided that the file may be read
CREATE SERVER admin_local FOREIGN DATA WRAPPER gtfs_fdw OPTIONS (url :'sample_zip');
GRANT USAGE ON FOREIGN SERVER admin_local TO gtfs_analyst;
SET ROLE gtfs_analyst;
CREATE FOREIGN TABLE public.analyst_routes (route_id text, route_short_name text)
  SERVER admin_local OPTIONS (file 'routes.txt');
SELECT * FROM public.analyst_routes ORDER BY route_id;
-- but the analyst cannot repoint it
ALTER SERVER admin_local OPTIONS (SET url '/etc/passwd');  -- ERROR
RESET ROLE;

-- the cache is an administrator's business
SET ROLE gtfs_analyst;
SELECT count(*) FROM gtfs_fdw.cache_entries;  -- ERROR
SELECT gtfs_fdw.cache_clear();  -- ERROR
RESET ROLE;

-- loading, refreshing and running models are not for everyone
SET ROLE gtfs_analyst;
SELECT gtfs_fdw.add_feed('analyst_feed', 'https://example.org/gtfs.zip');  -- ERROR
CALL gtfs_refresh();  -- ERROR
SELECT * FROM gtfs_fdw.run_models();  -- ERROR
SELECT gtfs_fdw.create_model('my_model', 'SELECT 1');  -- ERROR
SELECT gtfs_fdw.grant_read_access('gtfs_analyst');  -- ERROR
-- the GTFS reference stays open to all
SELECT count(*) > 0 AS has_fields FROM gtfs_fdw.spec_fields;
RESET ROLE;

DROP FOREIGN TABLE public.loader_agency, public.analyst_routes;
DROP SERVER analyst_remote, loader_local, admin_local CASCADE;
REVOKE CREATE ON SCHEMA public FROM gtfs_analyst, gtfs_loader;
REVOKE USAGE ON FOREIGN DATA WRAPPER gtfs_fdw FROM gtfs_analyst, gtfs_loader;
DROP ROLE gtfs_analyst, gtfs_loader;
