-- dim_route: one row per route per feed, with its mode as a readable label and the time zone of its agency
-- materialized: incremental
-- unique_key: feed_id, route_id
-- tags: gtfs, marts, dimensions
-- tests: not_null(feed_id, route_id, route_type, route_type_label, agency_timezone)
-- tests: relationships(feed_id, agency_key -> dim_agency(feed_id, agency_key))
-- column route_type: GTFS route_type, the basic values 0-12 or the extended ones 100-1799
-- column route_type_label: the mode of route_type in words
-- column agency_timezone: the time zone its trips' times count in
with routes as (
    select * from {{ ref('stg_gtfs__routes') }}
),
agencies as (
    select * from {{ ref('dim_agency') }}
)
select
    r.feed_id,
    r.route_id,
    coalesce(r.agency_id, '') as agency_key,
    r.route_short_name,
    r.route_long_name,
    coalesce(r.route_short_name, r.route_long_name) as route_name,
    r.route_desc,
    r.route_type,
    case
        when r.route_type = 0 then 'Tram, streetcar, light rail'
        when r.route_type = 1 then 'Subway, metro'
        when r.route_type = 2 then 'Rail'
        when r.route_type = 3 then 'Bus'
        when r.route_type = 4 then 'Ferry'
        when r.route_type = 5 then 'Cable tram'
        when r.route_type = 6 then 'Aerial lift'
        when r.route_type = 7 then 'Funicular'
        when r.route_type = 11 then 'Trolleybus'
        when r.route_type = 12 then 'Monorail'
        when r.route_type between 100 and 199 then 'Railway service'
        when r.route_type between 200 and 299 then 'Coach service'
        when r.route_type between 400 and 499 then 'Urban railway service'
        when r.route_type between 700 and 799 then 'Bus service'
        when r.route_type between 800 and 899 then 'Trolleybus service'
        when r.route_type between 900 and 999 then 'Tram service'
        when r.route_type between 1000 and 1099 then 'Water transport service'
        when r.route_type between 1100 and 1199 then 'Air service'
        when r.route_type between 1200 and 1299 then 'Ferry service'
        when r.route_type between 1300 and 1399 then 'Aerial lift service'
        when r.route_type between 1400 and 1499 then 'Funicular service'
        when r.route_type between 1500 and 1599 then 'Taxi service'
        when r.route_type between 1700 and 1799 then 'Miscellaneous service'
        else 'Unknown (' || r.route_type || ')'
    end as route_type_label,
    r.route_url,
    r.route_color,
    r.route_text_color,
    r.route_sort_order,
    a.agency_timezone
from routes r
left join agencies a on a.feed_id = r.feed_id and a.agency_key = coalesce(r.agency_id, '')
