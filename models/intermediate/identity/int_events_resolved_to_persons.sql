-- One row per accepted event with the person it belongs to: the person of its highest-priority
-- identifier (an account outranks the shared tablet it was used on). Events that carry an
-- erased identifier are left out; events with no identifier of any person keep a null one_id.
with

events as (

    select * from {{ ref('stg_tracking__events') }}

),

event_identifiers as (

    select * from {{ ref('stg_tracking__event_identifiers') }}
    where identifier_status = 'valid'

),

persons as (

    select * from {{ ref('int_identity_persons_assigned') }}

),

erased_nodes as (

    select * from {{ ref('int_identity_erased_nodes') }}

),

events_with_erased_identifiers as (

    select distinct event_identifiers.event_id
    from event_identifiers
    inner join erased_nodes on event_identifiers.identifier_key = erased_nodes.identifier_key

),

best_identifier as (

    select
        event_identifiers.event_id,
        persons.one_id,
        persons.identifier_type as resolved_via
    from event_identifiers
    inner join persons on event_identifiers.identifier_key = persons.identifier_key
    qualify row_number() over (
            partition by event_identifiers.event_id
            order by persons.type_priority, persons.identifier_key
        ) = 1

),

final as (

    select
        events.event_id,
        best_identifier.one_id,
        best_identifier.resolved_via,
        events.app_id,
        events.distinct_id,
        events.product_id,
        events.order_id,
        events.campaign_id,
        events.coupon_id,
        events.event_name,
        events.channel,
        events.category,
        events.currency,
        events.search_term,
        events.page,
        events.referrer,
        events.utm_source,
        events.utm_medium,
        events.utm_campaign,
        events.price_amount,
        events.order_amount,
        events.quantity,
        events.event_at,
        events.received_at,
        events.event_date
    from events
    left join best_identifier on events.event_id = best_identifier.event_id
    where
        events.event_id not in (
            select events_with_erased_identifiers.event_id from events_with_erased_identifiers
        )

)

select * from final
