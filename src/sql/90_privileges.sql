-- Who may do what.  Loading, refreshing and running models write tables
-- and run SQL that others wrote (models): for the roles an administrator
-- grants them to, not for everyone.

REVOKE ALL ON FUNCTION
    gtfs_fdw.fetch_feed(text),
    gtfs_fdw.archive_feed_version(text, bigint),
    gtfs_fdw.materialize(text, bigint),
    gtfs_fdw.remove_feed_files(integer),
    gtfs_fdw.check_feed_settings(text, integer, integer),
    gtfs_fdw.lock_feed(text),
    gtfs_fdw.add_feed(text, text, text, text, jsonb, text, integer, integer, text, boolean),
    gtfs_fdw.alter_feed(text, text, text, jsonb, text, integer, integer, text, boolean),
    gtfs_fdw.disable_feed(text),
    gtfs_fdw.enable_feed(text),
    gtfs_fdw.drop_feed(text, boolean),
    gtfs_fdw.prune_history(),
    gtfs_fdw.log_steps(gtfs_fdw.feeds, bigint, jsonb),
    gtfs_fdw.create_model(text, text, text, text, text[], text[], text[], text, text, boolean, boolean, boolean, text[]),
    gtfs_fdw.drop_model(text, boolean),
    gtfs_fdw.refresh_sources(),
    gtfs_fdw.build_model(gtfs_fdw.models, integer, text[]),
    gtfs_fdw.drop_model_relation(gtfs_fdw.models, text, text[]),
    gtfs_fdw.sync_model_key(gtfs_fdw.models, text),
    gtfs_fdw.merge_feed_rows(gtfs_fdw.models, text, text, integer),
    gtfs_fdw.run_models_json(text, integer),
    gtfs_fdw.run_models(text, text),
    gtfs_fdw.log_model_results(bigint, text, jsonb),
    gtfs_fdw.forget_feed_rows(integer),
    gtfs_fdw.grant_read_access(name)
FROM PUBLIC;
REVOKE ALL ON PROCEDURE public.gtfs_refresh(text, boolean, boolean) FROM PUBLIC;
