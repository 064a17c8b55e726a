-- One row per campaign × person reached: the arm (`both` when the person was touched in both
-- arms: reported, and left out of the arm comparison), the first touch, touches and cost; the
-- person's RFM class and lifecycle stage at send time (the latest snapshot before the day of
-- the first touch) and after the attribution window (the first snapshot on or after its end);
-- conversion: orders paid within `var('campaign_attribution_days')` days of the first touch that
-- count towards net GMV.
with

touches as (

    select * from {{ ref('int_campaign_touches_resolved') }}
    where resolution_status = 'resolved'

),

orders as (

    select * from {{ ref('int_orders_resolved_to_persons') }}
    where one_id is not null
        and is_net

),

rfm as (

    select * from {{ ref('fct_rfm_snapshots') }}

),

lifecycle as (

    select * from {{ ref('fct_lifecycle_stages') }}

),

reached as (

    select
        campaign_id,
        one_id,
        case when count(distinct campaign_arm) > 1 then 'both' else any_value(campaign_arm) end
            as campaign_arm,
        min(sent_at) as first_sent_at,
        count(*) as touch_count,
        sum(cost_amount) as cost_amount
    from touches
    group by 1, 2

),

windows as (

    select
        *,
        first_sent_at + interval {{ var('campaign_attribution_days') }} day as window_end_at
    from reached

),

conversions as (

    select
        windows.campaign_id,
        windows.one_id,
        count(*) as converting_order_count,
        sum(orders.net_amount) as converting_gmv
    from windows
    inner join orders
        on windows.one_id = orders.one_id
            and windows.first_sent_at <= orders.paid_at
            and windows.window_end_at > orders.paid_at
    group by 1, 2

),

rfm_states as (

    -- The latest snapshot before the day of the first touch, and the first on or after the end
    -- of the window.
    select
        windows.campaign_id,
        windows.one_id,
        max_by(rfm.rfm_class, rfm.snapshot_date) filter (
            where cast(windows.first_sent_at as date) > rfm.snapshot_date
        ) as rfm_class_at_send,
        min_by(rfm.rfm_class, rfm.snapshot_date) filter (
            where cast(windows.window_end_at as date) <= rfm.snapshot_date
        ) as rfm_class_after
    from windows
    inner join rfm on windows.one_id = rfm.one_id
    group by 1, 2

),

stage_states as (

    select
        windows.campaign_id,
        windows.one_id,
        max_by(lifecycle.lifecycle_stage, lifecycle.period_end) filter (
            where cast(windows.first_sent_at as date) > lifecycle.period_end
        ) as lifecycle_stage_at_send,
        min_by(lifecycle.lifecycle_stage, lifecycle.period_end) filter (
            where cast(windows.window_end_at as date) <= lifecycle.period_end
        ) as lifecycle_stage_after
    from windows
    inner join lifecycle on windows.one_id = lifecycle.one_id
    group by 1, 2

),

final as (

    select
        windows.campaign_id,
        windows.one_id,
        windows.campaign_arm,
        windows.first_sent_at,
        windows.window_end_at,
        windows.touch_count,
        windows.cost_amount,
        coalesce(rfm_states.rfm_class_at_send, 'unknown') as rfm_class_at_send,
        rfm_states.rfm_class_after,
        coalesce(stage_states.lifecycle_stage_at_send, 'unknown') as lifecycle_stage_at_send,
        stage_states.lifecycle_stage_after,
        coalesce(conversions.converting_order_count, 0) > 0 as is_converted,
        coalesce(conversions.converting_order_count, 0) as converting_order_count,
        coalesce(conversions.converting_gmv, 0) as converting_gmv,
        -- A window that ends after the as-of date is still open: its conversions are partial.
        windows.window_end_at <= {{ as_of_end() }} as is_window_complete
    from windows
    left join conversions
        on windows.campaign_id = conversions.campaign_id and windows.one_id = conversions.one_id
    left join rfm_states
        on windows.campaign_id = rfm_states.campaign_id and windows.one_id = rfm_states.one_id
    left join stage_states
        on windows.campaign_id = stage_states.campaign_id and windows.one_id = stage_states.one_id

)

select * from final
