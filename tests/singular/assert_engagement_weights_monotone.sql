-- The engagement weights keep their meaning: a purchase weighs more than add-to-cart, which
-- weighs more than a favourite, which weighs more than a product view (all positive), and a
-- refund takes points away. Returns the broken rules.
with

weights as (

    select
        max(case when event_name = 'pay_order' then weight end) as pay_order_weight,
        max(case when event_name = 'add_to_cart' then weight end) as add_to_cart_weight,
        max(case when event_name = 'favorite' then weight end) as favorite_weight,
        max(case when event_name = 'product_view' then weight end) as product_view_weight,
        max(case when event_name = 'refund' then weight end) as refund_weight
    from {{ ref('engagement_weights') }}

),

rules as (

    select
        'pay_order > add_to_cart' as rule_name,
        pay_order_weight > add_to_cart_weight as holds
    from weights
    union all
    select
        'add_to_cart > favorite' as rule_name,
        add_to_cart_weight > favorite_weight as holds
    from weights
    union all
    select
        'favorite > product_view' as rule_name,
        favorite_weight > product_view_weight as holds
    from weights
    union all
    select
        'product_view > 0' as rule_name,
        product_view_weight > 0 as holds
    from weights
    union all
    select
        'refund < 0' as rule_name,
        refund_weight < 0 as holds
    from weights

)

select rule_name
from rules
where not coalesce(holds, false)
