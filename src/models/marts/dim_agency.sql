-- dim_agency: one row per transit agency per feed
-- materialized: incremental
-- unique_key: feed_id, agency_key
-- tags: gtfs, marts, dimensions
-- tests: not_null(feed_id, agency_key, agency_name, agency_timezone)
-- column agency_key: agency_id, or '' for the one agency of a feed that leaves agency_id empty
-- column agency_timezone: IANA time zone; every time of the agency's trips counts in it
select
    feed_id,
    coalesce(agency_id, '') as agency_key,
    agency_id,
    agency_name,
    agency_url,
    agency_timezone,
    agency_lang,
    agency_phone,
    agency_email
from {{ ref('stg_gtfs__agencies') }}
