-- One row per person with an order placed before the end of the as-of day: paid, refunded and
-- cancelled orders, gross and net GMV (refunds and cancellations of paid orders deducted),
-- average order value over the orders that count towards net GMV, first and last paid order.
with

orders as (

    select * from {{ ref('int_orders_resolved_to_persons') }}
    where one_id is not null

),

final as (

    select
        one_id,
        count(*) as order_count,
        count(*) filter (where is_paid) as paid_order_count,
        count(*) filter (where is_net) as net_order_count,
        count(*) filter (where order_status = 'refunded') as refunded_order_count,
        count(*) filter (where order_status = 'cancelled') as cancelled_order_count,
        -- An order whose currency has no rate has null amounts: in none of the sums, nor in the
        -- average order value (macros/money).
        cast(coalesce(sum(gross_amount), 0) as decimal(18, 2)) as gross_gmv,
        cast(coalesce(sum(deducted_amount), 0) as decimal(18, 2)) as deducted_gmv,
        cast(coalesce(sum(net_amount), 0) as decimal(18, 2)) as net_gmv,
        count(*) filter (where is_net and net_amount is not null) as priced_net_order_count,
        min(paid_at) as first_paid_at,
        max(paid_at) as last_paid_at,
        max(ordered_at) filter (where is_net) as last_net_ordered_at
    from orders
    group by 1

)

select
    *,
    cast(
        case when priced_net_order_count > 0 then net_gmv / priced_net_order_count end
        as decimal(18, 2)
    )
        as average_order_value
from final
