-- stg_gtfs__agencies: one row per agency per feed
-- materialized: view
-- tags: gtfs, staging
-- tests: unique(feed_id, agency_id); not_null(feed_id, agency_name, agency_timezone)
with source as (
    select * from {{ source('gtfs', 'agency') }}
),
renamed as (
    select
        feed_id,
        agency_id,                              -- may be empty in a one-agency feed
        agency_name,
        agency_url,
        agency_timezone,
        agency_lang,
        agency_phone,
        agency_fare_url,
        agency_email
    from source
)
select * from renamed
