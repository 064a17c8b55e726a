-- What the evaluation could not use, counted instead of dropped: per campaign, touches by
-- resolution status, the persons reached, and the persons touched in both arms.
with

touches as (

    select * from {{ ref('int_campaign_touches_resolved') }}

),

campaign_persons as (

    select * from {{ ref('int_campaign_persons') }}

),

touch_counts as (

    select
        campaign_id,
        count(*) as touch_count,
        count(*) filter (where resolution_status = 'resolved') as resolved_touch_count,
        count(*) filter (where resolution_status = 'unknown_identifier')
            as unknown_identifier_touch_count,
        count(*) filter (where resolution_status = 'erased') as erased_touch_count,
        count(*) filter (where resolution_status in ('placeholder', 'invalid'))
            as unusable_identifier_touch_count
    from touches
    group by 1

),

person_counts as (

    select
        campaign_id,
        count(*) as person_count,
        count(*) filter (where campaign_arm = 'both') as both_arms_person_count
    from campaign_persons
    group by 1

),

final as (

    select
        touch_counts.campaign_id,
        touch_counts.touch_count,
        touch_counts.resolved_touch_count,
        touch_counts.unknown_identifier_touch_count,
        touch_counts.erased_touch_count,
        touch_counts.unusable_identifier_touch_count,
        coalesce(person_counts.person_count, 0) as person_count,
        coalesce(person_counts.both_arms_person_count, 0) as both_arms_person_count
    from touch_counts
    left join person_counts on touch_counts.campaign_id = person_counts.campaign_id

)

select * from final
