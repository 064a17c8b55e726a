{{ config(materialized='view') }}
-- A view: the events are resolved (incrementally) in int_events_resolved_to_persons; copying
-- them into a second table cost as much as resolving them.
with

events as (

    select * from {{ ref('int_events_resolved_to_persons') }}

),

final as (

    select
        -- ids
        event_id,
        one_id,
        app_id,
        product_id,
        order_id,
        campaign_id,

        -- strings
        event_name,
        channel,
        resolved_via,
        category,
        search_term,
        page,
        utm_source,
        utm_medium,
        utm_campaign,

        -- numerics
        price_amount,
        order_amount,
        quantity,

        -- timestamps
        event_at,
        received_at,
        event_date
    from events

)

select * from final
