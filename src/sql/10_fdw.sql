-- The foreign data wrapper and the GTFS reference catalog.

CREATE FUNCTION gtfs_fdw.gtfs_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME', 'gtfs_fdw_handler'
LANGUAGE C STRICT;

CREATE FUNCTION gtfs_fdw.gtfs_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME', 'gtfs_fdw_validator'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER gtfs_fdw
  HANDLER gtfs_fdw.gtfs_fdw_handler
  VALIDATOR gtfs_fdw.gtfs_fdw_validator;

COMMENT ON FUNCTION gtfs_fdw.gtfs_fdw_handler() IS 'handler of the gtfs_fdw foreign data wrapper';
COMMENT ON FUNCTION gtfs_fdw.gtfs_fdw_validator(text[], oid) IS 'checks options of gtfs_fdw servers, user mappings, tables and columns';
COMMENT ON FOREIGN DATA WRAPPER gtfs_fdw IS 'GTFS Schedule feeds (zip files, local or remote) as typed foreign tables';

CREATE FUNCTION gtfs_fdw.spec_field_rows(
    OUT file text, OUT file_presence text, OUT field_position integer,
    OUT field text, OUT spec_type text, OUT pg_type text, OUT presence text,
    OUT required boolean, OUT primary_key_position integer,
    OUT foreign_key text, OUT enum_values text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'gtfs_spec_fields'
LANGUAGE C STRICT IMMUTABLE;

COMMENT ON FUNCTION gtfs_fdw.spec_field_rows() IS 'the built-in GTFS Schedule reference, one row per field';

CREATE VIEW gtfs_fdw.spec_fields AS
  SELECT * FROM gtfs_fdw.spec_field_rows();

COMMENT ON VIEW gtfs_fdw.spec_fields IS
  'Every field of every file of the GTFS Schedule reference, with its spec type, the PostgreSQL type gtfs_fdw reads it as, presence, primary key position and foreign key';

CREATE VIEW gtfs_fdw.spec_files AS
  SELECT file,
         min(file_presence) AS presence,
         count(*)::integer AS fields,
         array_agg(field ORDER BY primary_key_position)
           FILTER (WHERE primary_key_position IS NOT NULL) AS primary_key
  FROM gtfs_fdw.spec_fields
  GROUP BY file;

COMMENT ON VIEW gtfs_fdw.spec_files IS 'Every file of the GTFS Schedule reference, with its presence and primary key';

GRANT USAGE ON SCHEMA gtfs_fdw TO PUBLIC;
GRANT SELECT ON gtfs_fdw.spec_fields, gtfs_fdw.spec_files TO PUBLIC;

-- The download cache.

CREATE FUNCTION gtfs_fdw.cache_entry_rows(
    OUT cache_key text, OUT url text, OUT bytes bigint, OUT sha256 text,
    OUT etag text, OUT last_modified text, OUT fetched_at timestamptz,
    OUT validated_at timestamptz, OUT path text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'gtfs_cache_entries'
LANGUAGE C STRICT VOLATILE;

CREATE VIEW gtfs_fdw.cache_entries AS
  SELECT * FROM gtfs_fdw.cache_entry_rows();

COMMENT ON VIEW gtfs_fdw.cache_entries IS 'Downloads kept in the cache directory (gtfs_fdw.cache_dir), with their validators';

CREATE FUNCTION gtfs_fdw.cache_clear()
RETURNS bigint
AS 'MODULE_PATHNAME', 'gtfs_cache_clear'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION gtfs_fdw.cache_clear() IS 'deletes every cached download; returns how many entries it removed';

REVOKE ALL ON FUNCTION gtfs_fdw.cache_entry_rows() FROM PUBLIC;
REVOKE ALL ON FUNCTION gtfs_fdw.cache_clear() FROM PUBLIC;
REVOKE ALL ON gtfs_fdw.cache_entries FROM PUBLIC;
