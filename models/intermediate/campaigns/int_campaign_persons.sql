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

snapshot_dates as (

    -- States are taken at period ends (int_periods): the latest before the day of the first touch
    -- is at the end of the period before the touch's, and the first on or after the end of the
    -- window at the end of the period holding it. Looked up there by equality; a window whose
    -- person has no row at that date (before their first period, or a gap) is searched among all
    -- their rows (state_lookups_missed), so the result is the same as a search of every window.
    select
        campaign_id,
        one_id,
        first_sent_at,
        window_end_at,
        cast({{ period_start('first_sent_at') }} - interval 1 day as date) as date_before_send,
        cast(
            {{ period_start('window_end_at') }}
            + interval 1 {{ var('period_grain') }}
            - interval 1 day as date
        ) as date_after_window
    from windows

),

state_lookups as (

    select
        snapshot_dates.campaign_id,
        snapshot_dates.one_id,
        rfm_at_send.rfm_class as rfm_class_at_send,
        rfm_after.rfm_class as rfm_class_after,
        lifecycle_at_send.lifecycle_stage as lifecycle_stage_at_send,
        lifecycle_after.lifecycle_stage as lifecycle_stage_after
    from snapshot_dates
    left join rfm as rfm_at_send
        on snapshot_dates.one_id = rfm_at_send.one_id
            and snapshot_dates.date_before_send = rfm_at_send.snapshot_date
    left join rfm as rfm_after
        on snapshot_dates.one_id = rfm_after.one_id
            and snapshot_dates.date_after_window = rfm_after.snapshot_date
    left join lifecycle as lifecycle_at_send
        on snapshot_dates.one_id = lifecycle_at_send.one_id
            and snapshot_dates.date_before_send = lifecycle_at_send.period_end
    left join lifecycle as lifecycle_after
        on snapshot_dates.one_id = lifecycle_after.one_id
            and snapshot_dates.date_after_window = lifecycle_after.period_end

),

state_lookups_missed as (

    -- The windows one of whose states was not at its period end. An "after" state whose period
    -- end is past the table's last is none: no row is that late.
    select snapshot_dates.*
    from snapshot_dates
    inner join state_lookups
        on snapshot_dates.campaign_id = state_lookups.campaign_id
            and snapshot_dates.one_id = state_lookups.one_id
    where
        state_lookups.rfm_class_at_send is null
        or state_lookups.lifecycle_stage_at_send is null
        or (
            state_lookups.rfm_class_after is null
            and snapshot_dates.date_after_window <= (select max(rfm.snapshot_date) from rfm)
        )
        or (
            state_lookups.lifecycle_stage_after is null
            and snapshot_dates.date_after_window
            <= (select max(lifecycle.period_end) from lifecycle)
        )

),

rfm_searched as (

    -- The latest snapshot before the day of the first touch, and the first on or after the end
    -- of the window.
    select
        missed.campaign_id,
        missed.one_id,
        max_by(rfm.rfm_class, rfm.snapshot_date) filter (
            where cast(missed.first_sent_at as date) > rfm.snapshot_date
        ) as rfm_class_at_send,
        min_by(rfm.rfm_class, rfm.snapshot_date) filter (
            where cast(missed.window_end_at as date) <= rfm.snapshot_date
        ) as rfm_class_after
    from state_lookups_missed as missed
    inner join rfm on missed.one_id = rfm.one_id
    group by 1, 2

),

stages_searched as (

    select
        missed.campaign_id,
        missed.one_id,
        max_by(lifecycle.lifecycle_stage, lifecycle.period_end) filter (
            where cast(missed.first_sent_at as date) > lifecycle.period_end
        ) as lifecycle_stage_at_send,
        min_by(lifecycle.lifecycle_stage, lifecycle.period_end) filter (
            where cast(missed.window_end_at as date) <= lifecycle.period_end
        ) as lifecycle_stage_after
    from state_lookups_missed as missed
    inner join lifecycle on missed.one_id = lifecycle.one_id
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
        coalesce(
            state_lookups.rfm_class_at_send, rfm_searched.rfm_class_at_send, 'unknown'
        ) as rfm_class_at_send,
        coalesce(state_lookups.rfm_class_after, rfm_searched.rfm_class_after) as rfm_class_after,
        coalesce(
            state_lookups.lifecycle_stage_at_send,
            stages_searched.lifecycle_stage_at_send,
            'unknown'
        ) as lifecycle_stage_at_send,
        coalesce(
            state_lookups.lifecycle_stage_after, stages_searched.lifecycle_stage_after
        ) as lifecycle_stage_after,
        coalesce(conversions.converting_order_count, 0) > 0 as is_converted,
        coalesce(conversions.converting_order_count, 0) as converting_order_count,
        coalesce(conversions.converting_gmv, 0) as converting_gmv,
        -- A window that ends after the as-of date is still open: its conversions are partial.
        windows.window_end_at <= {{ as_of_end() }} as is_window_complete
    from windows
    left join conversions
        on windows.campaign_id = conversions.campaign_id and windows.one_id = conversions.one_id
    inner join state_lookups
        on windows.campaign_id = state_lookups.campaign_id and windows.one_id = state_lookups.one_id
    left join rfm_searched
        on windows.campaign_id = rfm_searched.campaign_id and windows.one_id = rfm_searched.one_id
    left join stages_searched
        on windows.campaign_id = stages_searched.campaign_id
            and windows.one_id = stages_searched.one_id

)

select * from final
