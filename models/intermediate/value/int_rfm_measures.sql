-- One row per person × period end at which the person had a paid order (a buyer): recency (days
-- from the period end to the last payment up to then), frequency (orders paid in the
-- `var('rfm_window_days')` days up to the period end and not refunded or cancelled by then) and
-- monetary (their amount). Strict as-of: a snapshot sees only payments, refunds and
-- cancellations that happened before the end of its period.
with

periods as (

    select * from {{ ref('int_periods') }}

),

orders as (

    select * from {{ ref('int_orders_resolved_to_persons') }}
    where one_id is not null
        and is_paid

),

final as (

    select
        orders.one_id,
        periods.period_end as snapshot_date,
        {{ calendar_days_between(
            "cast(max(orders.paid_at) as date)", "periods.period_end"
        ) }} as recency_days,
        count(*) filter (
            where orders.paid_at
            >= periods.period_end_at - interval {{ var('rfm_window_days') }} day
            and coalesce(orders.closed_at >= periods.period_end_at, true)
        ) as frequency,
        cast(coalesce(sum(orders.order_amount) filter (
            where orders.paid_at
            >= periods.period_end_at - interval {{ var('rfm_window_days') }} day
            and coalesce(orders.closed_at >= periods.period_end_at, true)
        ), 0) as decimal(18, 2)) as monetary
    from orders
    inner join periods on orders.paid_at < periods.period_end_at
    group by orders.one_id, periods.period_end

)

select * from final
