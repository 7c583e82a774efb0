-- stg_gtfs__calendar_dates: one row per exception to a service per feed
-- materialized: view
-- tags: gtfs, staging
-- tests: unique(feed_id, service_id, service_date); not_null(feed_id, service_id, service_date); accepted_values(exception_type: 1, 2)
with source as (
    select * from {{ source('gtfs', 'calendar_dates') }}
),
renamed as (
    select
        feed_id,
        service_id,
        date as service_date,
        exception_type                          -- 1 added, 2 removed
    from source
)
select * from renamed
