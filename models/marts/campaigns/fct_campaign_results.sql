-- Persons touched in both arms are left out here and counted in fct_campaign_audit.
with

campaign_persons as (

    select * from {{ ref('int_campaign_persons') }}
    where campaign_arm != 'both'

),

segmented as (

    select
        campaign_id,
        campaign_arm,
        rfm_class_at_send as rfm_class,
        one_id,
        is_converted,
        converting_gmv,
        cost_amount,
        is_window_complete
    from campaign_persons
    union all
    select
        campaign_id,
        campaign_arm,
        'all' as rfm_class,
        one_id,
        is_converted,
        converting_gmv,
        cost_amount,
        is_window_complete
    from campaign_persons

),

final as (

    select
        campaign_id,
        campaign_arm,
        rfm_class,
        count(*) as person_count,
        count(*) filter (where is_converted) as converted_count,
        cast(count(*) filter (where is_converted) / count(*) as double) as conversion_rate,
        cast(sum(converting_gmv) as decimal(18, 2)) as gmv,
        -- Doubles before dividing: Spark would divide decimals and keep six digits.
        cast(sum(converting_gmv) as double) / count(*) as arpu,
        cast(sum(converting_gmv) as double)
        / nullif(count(*) filter (where is_converted), 0) as arppu,
        cast(sum(cost_amount) as decimal(18, 2)) as cost_amount,
        bool_and(is_window_complete) as is_window_complete
    from segmented
    group by 1, 2, 3

)

select * from final
