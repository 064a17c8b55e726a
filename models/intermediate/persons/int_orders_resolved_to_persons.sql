-- One row per order placed before the end of the as-of day, in its state as of that day (its
-- latest accepted status line up to then), with the person it belongs to: the person of its
-- highest-priority identifier (the account, else the receiver phone). Orders that carry an erased
-- identifier are left out; orders with no identifier of any person keep a null one_id.
with

order_updates as (

    select * from {{ ref('stg_oms__order_updates') }}
    where updated_at < {{ as_of_end() }}

),

order_identifiers as (

    select * from {{ ref('stg_oms__order_identifiers') }}
    where identifier_status = 'valid'

),

persons as (

    select * from {{ ref('int_identity_persons_assigned') }}

),

erased_nodes as (

    select * from {{ ref('int_identity_erased_nodes') }}

),

milestones as (

    select
        *,
        -- A shipped, completed or refunded order was paid, even if its `paid` line was rejected.
        min(case
            when order_status in ({{ quoted_list(var('gmv_order_statuses')) }})
                or order_status = 'refunded'
                then updated_at
        end) over (partition by order_id) as paid_at,
        min(case when order_status in ('cancelled', 'refunded') then updated_at end)
            over (partition by order_id) as closed_at,
        count(*) over (partition by order_id) as status_change_count
    from order_updates

),

as_of_state as (

    select * from milestones
    qualify row_number() over (
            partition by order_id
            order by
                updated_at desc,
                {{ order_status_step('order_status') }} desc,
                source_file_name desc,
                source_line_number desc
        ) = 1

),

orders_with_erased_identifiers as (

    select distinct order_identifiers.order_id
    from order_identifiers
    inner join erased_nodes on order_identifiers.identifier_key = erased_nodes.identifier_key

),

best_identifier as (

    select
        order_identifiers.order_id,
        persons.one_id,
        persons.identifier_type as resolved_via
    from order_identifiers
    inner join persons on order_identifiers.identifier_key = persons.identifier_key
    qualify row_number() over (
            partition by order_identifiers.order_id
            order by persons.type_priority, persons.identifier_key
        ) = 1

),

final as (

    select
        -- ids
        as_of_state.order_id,
        best_identifier.one_id,

        -- strings
        best_identifier.resolved_via,
        as_of_state.order_status,
        as_of_state.channel,
        as_of_state.currency,
        as_of_state.amount_status,
        as_of_state.currency_rate,

        -- numerics
        as_of_state.original_amount,
        -- In the reporting currency; null (and so in none of the sums) for an order whose
        -- currency has no rate (amount_status, macros/money).
        as_of_state.order_amount,
        as_of_state.discount_amount,
        as_of_state.item_count,
        as_of_state.status_change_count,
        -- Net GMV: a paid order counts with its amount until it is refunded or cancelled. An
        -- order without a reporting amount has none of the three (null, so in no sum).
        case
            when as_of_state.order_amount is null then null
            when as_of_state.paid_at is not null then as_of_state.order_amount
            else 0
        end as gross_amount,
        case
            when as_of_state.order_amount is null then null
            when as_of_state.paid_at is not null
                and as_of_state.order_status in ('cancelled', 'refunded')
                then as_of_state.order_amount
            else 0
        end as deducted_amount,
        case
            when as_of_state.order_amount is null then null
            when as_of_state.order_status in ({{ quoted_list(var('gmv_order_statuses')) }})
                then as_of_state.order_amount
            else 0
        end as net_amount,

        -- booleans
        as_of_state.paid_at is not null as is_paid,
        as_of_state.order_status in ({{ quoted_list(var('gmv_order_statuses')) }}) as is_net,

        -- timestamps
        as_of_state.ordered_at,
        as_of_state.paid_at,
        as_of_state.closed_at,
        as_of_state.updated_at,
        cast(as_of_state.ordered_at as date) as order_date
    from as_of_state
    left join best_identifier on as_of_state.order_id = best_identifier.order_id
    where as_of_state.order_id not in (
            select orders_with_erased_identifiers.order_id from orders_with_erased_identifiers
        )

)

select * from final
