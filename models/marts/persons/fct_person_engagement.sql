with

persons as (

    select distinct one_id from {{ ref('int_identity_persons_assigned') }}

),

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

contributions as (

    select * from {{ ref('int_person_engagement_contributions') }}

),

per_person as (

    select
        one_id,
        sum(points) as engagement_points,
        max_by(event_name, points) filter (where points > 0) as top_behaviour
    from contributions
    group by 1

),

scored as (

    select
        persons.one_id,
        coalesce(per_person.engagement_points, 0) as engagement_points,
        per_person.top_behaviour
    from persons
    left join per_person on persons.one_id = per_person.one_id

),

final as (

    select
        scored.one_id,
        as_of.as_of_date,
        cast(round(scored.engagement_points, 4) as double) as engagement_points,
        -- Saturating, not relative to the population: a person's score does not move because
        -- someone else became more active.
        cast(round(
            100
            * (
                1
                - exp(-greatest(scored.engagement_points, 0) / {{ var('engagement_score_scale') }})
            ),
            1
        ) as double) as engagement_score,
        -- Deciles over everyone, 10 the most engaged; ties broken by one_id so reruns agree.
        cast(ntile(10) over (order by scored.engagement_points, scored.one_id) as integer)
            as engagement_decile,
        scored.top_behaviour
    from scored
    cross join as_of

)

select * from final
