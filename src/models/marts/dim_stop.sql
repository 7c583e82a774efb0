-- dim_stop: one row per stop, station, entrance or node per feed, with its parent station and wheelchair boarding resolved
-- materialized: incremental
-- unique_key: feed_id, stop_id
-- tags: gtfs, marts, dimensions
-- tests: not_null(feed_id, stop_id, location_type_label)
-- tests: relationships(feed_id, parent_station -> dim_stop(feed_id, stop_id))
-- tests: warn accepted_values(location_type: 0, 1, 2, 3, 4)
-- column wheelchair_boarding: 0 no information, 1 possible, 2 not possible; a child stop without a value of its own takes its station's
-- column latitude: WGS84 degrees
-- column longitude: WGS84 degrees
with stops as (
    select * from {{ ref('stg_gtfs__stops') }}
)
select
    s.feed_id,
    s.stop_id,
    s.stop_code,
    s.stop_name,
    s.stop_desc,
    s.latitude,
    s.longitude,
    s.zone_id,
    s.location_type,
    case s.location_type
        when 0 then 'Stop or platform'
        when 1 then 'Station'
        when 2 then 'Entrance or exit'
        when 3 then 'Generic node'
        when 4 then 'Boarding area'
        else 'Unknown (' || s.location_type || ')'
    end as location_type_label,
    s.parent_station,
    p.stop_name as parent_station_name,
    coalesce(nullif(s.wheelchair_boarding, 0), nullif(p.wheelchair_boarding, 0), 0) as wheelchair_boarding,
    case coalesce(nullif(s.wheelchair_boarding, 0), nullif(p.wheelchair_boarding, 0), 0)
        when 1 then 'Possible' when 2 then 'Not possible' else 'No information'
    end as wheelchair_boarding_label,
    s.stop_timezone,
    s.platform_code
from stops s
left join stops p on p.feed_id = s.feed_id and p.stop_id = s.parent_station
