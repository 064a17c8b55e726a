with

order_updates as (

    select * from {{ ref('stg_oms__order_updates') }}

),

with_milestones as (

    select
        *,
        min(case when order_status = 'paid' then updated_at end)
            over (partition by order_id) as paid_at,
        min(case when order_status in ('cancelled', 'refunded') then updated_at end)
            over (partition by order_id) as closed_at,
        count(*) over (partition by order_id) as status_change_count
    from order_updates

),

latest_state as (

    select * from with_milestones
    where is_latest_state

),

final as (

    select
        -- ids
        order_id,
        account_id,

        -- strings
        order_status,
        channel,
        currency,
        amount_status,

        -- numerics
        original_amount,
        order_amount,
        discount_amount,
        item_count,
        status_change_count,

        -- booleans
        is_gmv_status as is_gmv,

        -- timestamps
        ordered_at,
        paid_at,
        closed_at,
        updated_at,
        cast(ordered_at as date) as order_date
    from latest_state

)

select * from final
