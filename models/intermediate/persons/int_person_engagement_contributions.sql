-- One row per person × weighted behaviour (seed engagement_weights) the person showed before the
-- end of the as-of day: each event counts `weight × 0.5 ^ (age in days / half-life)`, age taken
-- from the end of the as-of day; the sum per behaviour is capped at `cap` points (a negative
-- behaviour such as a refund at `-cap`), so no single behaviour dominates the score.
with

events as (

    select * from {{ ref('int_person_events_as_of') }}

),

weights as (

    select * from {{ ref('engagement_weights') }}

),

decayed as (

    select
        events.one_id,
        events.event_name,
        weights.weight,
        weights.half_life_days,
        weights.cap,
        weights.weight * power(
            0.5, {{ days_between('events.event_at', as_of_end()) }} / weights.half_life_days
        ) as decayed_points
    from events
    inner join weights on events.event_name = weights.event_name

),

summed as (

    select
        one_id,
        event_name,
        weight,
        cap,
        count(*) as event_count,
        sum(decayed_points) as uncapped_points
    from decayed
    group by 1, 2, 3, 4

),

final as (

    select
        one_id,
        event_name,
        event_count,
        weight,
        cap,
        uncapped_points,
        case
            when uncapped_points >= 0 then least(uncapped_points, cap)
            else greatest(uncapped_points, -cap)
        end as points
    from summed

)

select * from final
