-- Runs once, in the main database (POSTGRES_DB), when the data directory is
-- first initialised. pg_cron can only be created in cron.database_name,
-- which compose.yaml sets to the same database.
CREATE EXTENSION IF NOT EXISTS gtfs_fdw;
CREATE EXTENSION IF NOT EXISTS pg_cron;
