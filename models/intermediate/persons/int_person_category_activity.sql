-- One row per person × product category the person bought or viewed before the end of the as-of
-- day: net spend (the item value, price × quantity, of orders that count towards net GMV, i.e.
-- paid and neither refunded nor cancelled), product views, and the last time of each.
with

orders as (

    select * from {{ ref('int_orders_resolved_to_persons') }}
    where one_id is not null
        and is_net

),

order_items as (

    select * from {{ ref('stg_oms__order_items') }}

),

events as (

    select * from {{ ref('int_person_events_as_of') }}
    where event_name = 'product_view'
        and category is not null

),

spend as (

    select
        orders.one_id,
        order_items.category,
        -- Item values in the reporting currency, like the order's (macros/money).
        sum({{ reporting_amount(
            'order_items.price_amount * order_items.quantity',
            'orders.currency',
            'orders.currency_rate'
        ) }}) as net_spend_amount,
        count(distinct orders.order_id) as net_order_count,
        max(orders.ordered_at) as last_ordered_at
    from orders
    inner join order_items on orders.order_id = order_items.order_id
    where order_items.category is not null
        and order_items.price_amount is not null
    group by 1, 2

),

views as (

    select
        one_id,
        category,
        count(*) as product_view_count,
        max(event_at) as last_viewed_at
    from events
    group by 1, 2

),

final as (

    select
        coalesce(spend.one_id, views.one_id) as one_id,
        coalesce(spend.category, views.category) as category,
        coalesce(spend.net_spend_amount, 0) as net_spend_amount,
        coalesce(spend.net_order_count, 0) as net_order_count,
        coalesce(views.product_view_count, 0) as product_view_count,
        spend.last_ordered_at,
        views.last_viewed_at
    from spend
    full outer join views on spend.one_id = views.one_id and spend.category = views.category

)

select * from final
