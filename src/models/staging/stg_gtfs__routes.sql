-- stg_gtfs__routes: one row per route per feed, with its agency resolved
-- materialized: view
-- tags: gtfs, staging
-- tests: unique(feed_id, route_id); not_null(feed_id, route_id, route_type)
with source as (
    select * from {{ source('gtfs', 'routes') }}
),
agencies as (
    select * from {{ ref('stg_gtfs__agencies') }}
),
renamed as (
    select
        r.feed_id,
        r.route_id,
        -- a route without agency_id belongs to the feed's only agency
        coalesce(r.agency_id, (select min(a.agency_id) from agencies a
                               where a.feed_id = r.feed_id)) as agency_id,
        r.route_short_name,
        r.route_long_name,
        r.route_desc,
        r.route_type,
        r.route_url,
        r.route_color,
        r.route_text_color,
        r.route_sort_order
    from source r
)
select * from renamed
