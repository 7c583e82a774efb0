-- The built-in catalog of the GTFS Schedule reference, as SQL views.

-- every file of the reference, with its primary key
SELECT file, presence, fields, primary_key FROM gtfs_fdw.spec_files ORDER BY file;

-- how spec types map to PostgreSQL types
SELECT spec_type, pg_type, count(*) AS fields
FROM gtfs_fdw.spec_fields GROUP BY 1, 2 ORDER BY 1, 2;

-- the fields of stop_times.txt, in spec order
SELECT field_position, field, spec_type, pg_type, presence, required,
       primary_key_position, foreign_key
FROM gtfs_fdw.spec_fields WHERE file = 'stop_times.txt' ORDER BY field_position;

-- required fields of the required files
SELECT file, string_agg(field, ', ' ORDER BY field_position) AS required_fields
FROM gtfs_fdw.spec_fields
WHERE required AND file IN ('agency.txt', 'routes.txt', 'trips.txt', 'stop_times.txt')
GROUP BY file ORDER BY file;

-- enums keep their documented values; a string enum reads as text
SELECT file, field, pg_type, enum_values FROM gtfs_fdw.spec_fields
WHERE field IN ('location_type', 'table_name', 'exception_type') ORDER BY 1, 2;

-- anyone may read the catalog
SET ROLE pg_read_all_stats;
SELECT count(*) > 200 AS many_fields FROM gtfs_fdw.spec_fields;
RESET ROLE;
