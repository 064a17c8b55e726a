-- Did treated persons move up more than control persons? Per campaign × arm × state model, the
-- persons whose RFM class (by value_rank of the rfm_classes seed) or lifecycle stage (active and
-- reactivated above new, above dormant, above churned) is known at send time and after the
-- attribution window, and the shares that moved up, down or stayed.
with

campaign_persons as (

    select * from {{ ref('int_campaign_persons') }}
    where campaign_arm != 'both'

),

classes as (

    select * from {{ ref('rfm_classes') }}

),

moves as (

    select
        campaign_persons.campaign_id,
        campaign_persons.campaign_arm,
        'rfm_class' as state_model,
        sign(after_class.value_rank - before_class.value_rank) as rank_change
    from campaign_persons
    inner join
        classes as before_class
        on campaign_persons.rfm_class_at_send = before_class.rfm_class
    inner join classes as after_class on campaign_persons.rfm_class_after = after_class.rfm_class
    union all
    select
        campaign_id,
        campaign_arm,
        'lifecycle_stage' as state_model,
        sign(
            {{ lifecycle_stage_rank('lifecycle_stage_after') }}
            - {{ lifecycle_stage_rank('lifecycle_stage_at_send') }}
        ) as rank_change
    from campaign_persons
    where lifecycle_stage_after is not null
        and lifecycle_stage_at_send != 'unknown'

),

final as (

    select
        campaign_id,
        campaign_arm,
        state_model,
        count(*) as person_count,
        cast(count(*) filter (where rank_change < 0) / count(*) as double) as moved_up_share,
        cast(count(*) filter (where rank_change = 0) / count(*) as double) as unchanged_share,
        cast(count(*) filter (where rank_change > 0) / count(*) as double) as moved_down_share
    from moves
    group by 1, 2, 3

)

select * from final
